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

    // The shared library is versioned: librspdk.so.0 is its soname.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,librspdk.so.0");
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
    let mut config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    // Hand-written C for what cbindgen cannot express (bitfield structs of the
    // NVMe specification): pasted in, in name order, before the generated items.
    println!("cargo:rerun-if-changed=src/capi/raw");
    let mut raw: Vec<_> = std::fs::read_dir(root.join("src/capi/raw"))
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "h")).collect())
        .unwrap_or_default();
    raw.sort();
    for path in raw {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("raw header fragment");
        let name = path.file_name().unwrap().to_string_lossy();
        let extra = format!("\n/* ---- {name} (hand-written C, src/capi/raw/) ---- */\n{text}\n");
        config.after_includes = Some(config.after_includes.take().unwrap_or_default() + &extra);
    }
    // Hand-written C that needs generated types: pasted at the end, inside the trailer's guard.
    println!("cargo:rerun-if-changed=src/capi/raw_late");
    let mut late: Vec<_> = std::fs::read_dir(root.join("src/capi/raw_late"))
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "h")).collect())
        .unwrap_or_default();
    late.sort();
    for path in late {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("late header fragment");
        let name = path.file_name().unwrap().to_string_lossy();
        let trailer = config.trailer.take().unwrap_or_default();
        let marker = "#endif /* RSPDK_H_TRAILER */";
        let extra = format!("\n/* ---- {name} (hand-written C, src/capi/raw_late/) ---- */\n{text}\n{marker}");
        config.trailer = Some(trailer.replacen(marker, &extra, 1));
    }
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
