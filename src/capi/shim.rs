//! Exported entry points for the functions written in C (`shim.c`).
//!
//! rustc decides what a `cdylib` exports and hides every symbol that does not
//! come from Rust, so the variadic functions of the C shim would be missing
//! from `librspdk.so`. Each one is exported here as a naked function whose only
//! instruction jumps to the C implementation: arguments, registers and the
//! variadic stack area reach C exactly as the caller left them.

macro_rules! trampoline {
    ($($name:ident => $target:ident),* $(,)?) => {
        extern "C" {
            $(fn $target();)*
        }
        $(
            #[unsafe(naked)]
            #[no_mangle]
            pub extern "C" fn $name() {
                #[cfg(target_arch = "x86_64")]
                core::arch::naked_asm!("jmp {0}", sym $target);
                #[cfg(target_arch = "aarch64")]
                core::arch::naked_asm!("b {0}", sym $target);
            }
        )*
    };
}

trampoline! {
    spdk_log => rspdk_c_spdk_log,
    spdk_vlog => rspdk_c_spdk_vlog,
    spdk_flog => rspdk_c_spdk_flog,
    spdk_vflog => rspdk_c_spdk_vflog,
    spdk_sprintf_alloc => rspdk_c_spdk_sprintf_alloc,
    spdk_vsprintf_alloc => rspdk_c_spdk_vsprintf_alloc,
    spdk_sprintf_append_realloc => rspdk_c_spdk_sprintf_append_realloc,
    spdk_vsprintf_append_realloc => rspdk_c_spdk_vsprintf_append_realloc,
    spdk_json_write_string_fmt => rspdk_c_spdk_json_write_string_fmt,
    spdk_json_write_string_fmt_v => rspdk_c_spdk_json_write_string_fmt_v,
    spdk_json_write_named_string_fmt => rspdk_c_spdk_json_write_named_string_fmt,
    spdk_json_write_named_string_fmt_v => rspdk_c_spdk_json_write_named_string_fmt_v,
    spdk_jsonrpc_send_error_response_fmt => rspdk_c_spdk_jsonrpc_send_error_response_fmt,
}
