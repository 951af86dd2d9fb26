//! `peek_head`: the `return` object read without the records agrees with
//! the full decode, and declines what it cannot read cheaply.

use std::path::PathBuf;

use velip_core::decode::{self, peek_head};

fn fixture(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn agrees_with_the_full_decode_on_every_page_fixture() {
    for file in [
        "list_documented.json",
        "list_all_strings.json",
        "list_capped_masked.json",
        "empty.json",
    ] {
        let body = fixture(file);
        let page = decode::decode_page(&body).unwrap();
        let head = peek_head(&body).unwrap_or_else(|| panic!("{file}: no head"));
        assert_eq!(head.status_code, page.status_code, "{file}");
        assert_eq!(head.pagination, page.pagination, "{file}");
        assert_eq!(head.next_cursor(), page.next_cursor(), "{file}");
        assert!(head.is_success(), "{file}");
    }
}

#[test]
fn reads_error_answers_on_http_200() {
    let head = peek_head(br#"{"return":{"status":"Rate limit","status_code":"429"}}"#).unwrap();
    assert!(!head.is_success());
    assert_eq!(head.status_code, "429");
}

#[test]
fn php_quirks_before_the_return_object() {
    let body = "\u{feff}<br />\n<b>Notice</b>: x<br />\n{\"return\":{\"status_code\":0,\"pagination\":{\"has_more\":\"1\",\"next_id\":551}},\"calls\":{\"0\":{\"cd_id\":552}}}";
    let head = peek_head(body.as_bytes()).unwrap();
    assert_eq!(head.next_cursor().unwrap().as_str(), "551");
    // PHP's `[]` for an empty `return`.
    assert_eq!(
        peek_head(br#"{"return":[],"calls":[]}"#)
            .unwrap()
            .status_code,
        ""
    );
}

#[test]
fn the_rest_of_the_body_is_not_read() {
    // Records after `return` are not parsed: broken ones do not matter here.
    let head = peek_head(br#"{"return":{"status_code":"0"},"calls":[{"cd_id":"x"}, garbage"#);
    assert_eq!(head.unwrap().status_code, "0");
}

#[test]
fn declines_what_it_cannot_read_cheaply() {
    for body in [
        &br#"{"calls":[],"return":{"status_code":"0"}}"#[..], // calls first
        br#"{"calls":[]}"#,                                   // no return
        b"<html>502</html>",
        br#"{"return":{"status_code":"0","pagination":{"next_id":"abc"}}}"#, // bad cursor
        br#"{"return":{"status_code":"0","#,                                 // cut short
        b"",
    ] {
        assert_eq!(peek_head(body), None, "{}", String::from_utf8_lossy(body));
    }
}
