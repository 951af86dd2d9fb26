//! Gives `libvelip.so` its SONAME, which changes with every breaking
//! release: `libvelip.so.0.<minor>` while the version is 0.x (each 0.x
//! minor may break the ABI), `libvelip.so.<major>` from 1.0 on. Programs
//! link against the SONAME, so a library that would break them is never
//! picked up in its place.

fn main() {
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".to_owned());
    let minor = std::env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_else(|_| "0".to_owned());
    let soversion = if major == "0" {
        format!("0.{minor}")
    } else {
        major
    };
    let target_os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os == "linux" || target_os == "freebsd" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libvelip.so.{soversion}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
