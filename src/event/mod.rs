//! The event framework (SPDK's `event.h`): one reactor per core of the mask,
//! each pinned to its core and polling the spdk_threads scheduled on it; the
//! application lifecycle (`spdk_app_start` ... `spdk_app_fini`) and the
//! ordered start and stop of subsystems.

pub mod app;
pub mod json_config;
pub mod reactor;
pub mod subsystem;
