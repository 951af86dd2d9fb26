/* Walks every call of a running service (or sandbox) through the C API and
 * prints records/s as one JSON line: the C side of benchmark 5.
 *
 *   cc -std=c11 -O2 walk.c $(pkg-config --cflags --libs velip) -o walk_c
 *   ./walk_c URL TOKEN
 *
 * Touches the same fields as the Rust and Python walks (call id, status,
 * value, date). */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <velip.h>

static int fail(const char *what, velip_status st) {
  char msg[512];
  size_t needed = 0;
  velip_last_error_message(msg, sizeof msg, &needed);
  fprintf(stderr, "%s: %s: %s\n", what, velip_status_str(st), msg);
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s URL TOKEN\n", argv[0]);
    return 2;
  }
  velip_client_config *cfg = NULL;
  velip_client *client = NULL;
  velip_filter *filter = NULL;
  velip_call_iter *iter = NULL;
  velip_status st;
  int rc = 0;

  if ((st = velip_client_config_new(&cfg)) != VELIP_OK) return fail("config", st);
  if ((st = velip_client_config_set_base_url(cfg, argv[1])) != VELIP_OK ||
      (st = velip_client_config_set_token(cfg, argv[2])) != VELIP_OK ||
      (st = velip_client_new(cfg, &client)) != VELIP_OK) {
    rc = fail("client", st);
    goto out;
  }
  if ((st = velip_filter_new(&filter)) != VELIP_OK ||
      (st = velip_filter_set_date_start(filter, "2000-01-01")) != VELIP_OK ||
      (st = velip_filter_set_date_end(filter, "2100-12-31")) != VELIP_OK ||
      (st = velip_filter_set_page_size(filter, 5000)) != VELIP_OK ||
      (st = velip_client_list_calls(client, filter, &iter)) != VELIP_OK) {
    rc = fail("filter", st);
    goto out;
  }

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  unsigned long long n = 0, touched = 0;
  for (;;) {
    velip_record *rec = NULL;
    if ((st = velip_call_iter_next(iter, &rec)) != VELIP_OK) {
      rc = fail("next", st);
      goto out;
    }
    if (rec == NULL) break;
    const char *id = NULL, *status = NULL, *value = NULL, *date = NULL;
    velip_record_call_id(rec, &id);
    velip_record_status(rec, &status);
    velip_record_value(rec, &value);
    velip_record_date(rec, &date);
    touched += (id != NULL) + (status != NULL) + (value != NULL) + (date != NULL);
    velip_record_free(rec); /* each record is the caller's, as in the Rust walk */
    n++;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("{\"client\": \"c\", \"records\": %llu, \"seconds\": %.3f, \"records_per_s\": %.0f, \"touched\": %llu}\n",
         n, secs, (double)n / secs, touched);

out:
  velip_call_iter_free(iter);
  velip_filter_free(filter);
  velip_client_free(client);
  velip_client_config_free(cfg);
  return rc;
}
