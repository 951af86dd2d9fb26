//! Gives `libvelip.so` its SONAME (`libvelip.so.<major>`), so programs link
//! against the ABI major version rather than the bare file name.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".to_owned());
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" || target_os == "freebsd" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libvelip.so.{major}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
