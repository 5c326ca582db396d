//! Build script: compiles the small C shim (what stable Rust cannot define,
//! such as variadic functions) and regenerates the public header
//! `include/rspdk.h` from the C surface in `src/capi/` with cbindgen.
//!
//! The header is committed. It is only rewritten when its content changes, so
//! `git diff --exit-code include/` after a build tells whether the committed
//! header is current.

use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());

    println!("cargo:rerun-if-changed=src/capi/shim.c");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    cc::Build::new()
        .file(root.join("src/capi/shim.c"))
        .flag_if_supported("-std=gnu11")
        .warnings(true)
        .extra_warnings(true)
        .warnings_into_errors(true)
        .compile("rspdk_shim");

    // cbindgen parses the crate; a failure to parse must not hide a stale header.
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(&root)
        .with_config(config)
        .generate()
        .expect("cbindgen failed to generate include/rspdk.h");
    let out = root.join("include/rspdk.h");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let current = std::fs::read(&out).unwrap_or_default();
    if current != generated {
        std::fs::write(&out, &generated).expect("write include/rspdk.h");
    }
    for dir in ["src"] {
        println!("cargo:rerun-if-changed={dir}");
    }
}
