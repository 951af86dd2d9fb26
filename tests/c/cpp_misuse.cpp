// Patterns that would dangle, each of which must NOT compile against
// velip.hpp. scripts/test-c compiles this file once with MISUSE=0 (the safe
// spelling of the same code: must compile) and once per MISUSE=1..N (must
// be rejected by the compiler).
#include <velip.hpp>

#include <string>
#include <vector>

#ifndef MISUSE
#define MISUSE 0
#endif

void use(velip::Client &client, velip::CallIter &walk, velip::Record &record) {
#if MISUSE == 0
    // The safe spellings.
    auto f = velip::Filter().date_range("2026-05-01", "2026-05-31");
    const auto &cf = velip::Filter().page_size(10);  // lifetime extended
    auto config = velip::ClientConfig().token("t");
    auto it = client.list_calls(f).prefetch_depth(0);
    velip::Record copy = record.clone();
    std::vector<velip::Record> kept;
    if (auto r = walk.next()) {
        kept.push_back(std::move(*r));
    }
    std::string id = record.call_id();
    (void)cf;
    (void)config;
    (void)it;
    (void)copy;
    (void)id;
#elif MISUSE == 1
    // A reference to a temporary filter (use-after-scope before 1.0).
    auto &f = velip::Filter().date_range("2026-05-01", "2026-05-31");
    (void)f;
#elif MISUSE == 2
    // A reference to a temporary configuration.
    auto &config = velip::ClientConfig().token("t");
    (void)config;
#elif MISUSE == 3
    // A reference to a temporary walk.
    auto &it = client.list_calls(velip::Filter()).prefetch_depth(0);
    (void)it;
#elif MISUSE == 4
    // An implicit copy of a record (records copy only with clone()).
    velip::Record copy = record;
    (void)copy;
#elif MISUSE == 5
    // Copying a vector of records copies each one: only with clone().
    std::vector<velip::Record> kept;
    std::vector<velip::Record> twin = kept;
    (void)twin;
#elif MISUSE == 6
    // The borrowed RecordView of 0.1 is gone.
    velip::RecordView view(record.get());
    (void)view;
#elif MISUSE == 7
    // A walk is not copied (two owners of one iterator).
    velip::CallIter other = walk;
    (void)other;
#elif MISUSE == 8
    // A filter is not copied (two owners of one handle).
    velip::Filter f;
    velip::Filter g = f;
    (void)g;
#endif
    (void)client;
    (void)walk;
    (void)record;
}

int main() { return 0; }
