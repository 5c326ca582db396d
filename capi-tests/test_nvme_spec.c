/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   C API test of the NVMe specification layouts (spdk/nvme_spec.h).
 *
 *   The sizes and offsets below are written as plain numbers taken from the
 *   NVMe Base / NVM Command Set specifications (and, where SPDK adds its own
 *   structure, from SPDK's definition), never computed from rspdk.h itself.
 *   The runtime part checks that bit-fields land on the bits the
 *   specification names; it assumes a little-endian host, as SPDK does.
 *   Nothing here needs the environment to be initialized.
 */
#include "rspdk.h"

#include "check.h"

#define ASSERT_SIZE(type, n) _Static_assert(sizeof(type) == (n), "sizeof(" #type ")")
#define ASSERT_OFF(type, member, n) \
	_Static_assert(offsetof(type, member) == (n), "offsetof(" #type ", " #member ")")

/* ------------------------------------------------------------------------- */
/* Sizes                                                                     */
/* ------------------------------------------------------------------------- */

ASSERT_SIZE(union spdk_nvme_cap_register, 8);
ASSERT_SIZE(union spdk_nvme_vs_register, 4);
ASSERT_SIZE(union spdk_nvme_cc_register, 4);
ASSERT_SIZE(union spdk_nvme_csts_register, 4);
ASSERT_SIZE(union spdk_nvme_aqa_register, 4);
ASSERT_SIZE(union spdk_nvme_cmbloc_register, 4);
ASSERT_SIZE(union spdk_nvme_cmbsz_register, 4);
ASSERT_SIZE(union spdk_nvme_cmbmsc_register, 8);
ASSERT_SIZE(union spdk_nvme_cmbsts_register, 4);
ASSERT_SIZE(union spdk_nvme_pmrcap_register, 4);
ASSERT_SIZE(union spdk_nvme_pmrctl_register, 4);
ASSERT_SIZE(union spdk_nvme_pmrsts_register, 4);
ASSERT_SIZE(union spdk_nvme_pmrebs_register, 4);
ASSERT_SIZE(union spdk_nvme_pmrswtp_register, 4);
ASSERT_SIZE(union spdk_nvme_pmrmscl_register, 4);
ASSERT_SIZE(union spdk_nvme_bpinfo_register, 4);
ASSERT_SIZE(union spdk_nvme_bprsel_register, 4);
/* registers up to the first doorbell pair (0x1000) plus that pair */
ASSERT_SIZE(struct spdk_nvme_registers, 0x1008);

ASSERT_SIZE(struct spdk_nvme_sgl_descriptor, 16);
ASSERT_SIZE(struct spdk_nvme_cmd, 64);
ASSERT_SIZE(struct spdk_nvme_status, 2);
ASSERT_SIZE(struct spdk_nvme_cpl, 16);
ASSERT_SIZE(struct spdk_nvme_dsm_range, 16);
ASSERT_SIZE(struct spdk_nvme_scc_source_range, 32);
ASSERT_SIZE(union spdk_nvme_cmd_cdw10, 4);
ASSERT_SIZE(union spdk_nvme_cmd_cdw11, 4);
ASSERT_SIZE(union spdk_nvme_cmd_cdw12, 4);
ASSERT_SIZE(union spdk_nvme_cmd_cdw13, 4);

ASSERT_SIZE(union spdk_nvme_feat_arbitration, 4);
ASSERT_SIZE(union spdk_nvme_feat_power_management, 4);
ASSERT_SIZE(union spdk_nvme_feat_lba_range_type, 4);
ASSERT_SIZE(union spdk_nvme_feat_temperature_threshold, 4);
ASSERT_SIZE(union spdk_nvme_feat_error_recovery, 4);
ASSERT_SIZE(union spdk_nvme_feat_volatile_write_cache, 4);
ASSERT_SIZE(union spdk_nvme_feat_number_of_queues, 4);
ASSERT_SIZE(union spdk_nvme_feat_interrupt_coalescing, 4);
ASSERT_SIZE(union spdk_nvme_feat_interrupt_vector_configuration, 4);
ASSERT_SIZE(union spdk_nvme_feat_write_atomicity, 4);
ASSERT_SIZE(union spdk_nvme_critical_warning_state, 1);
ASSERT_SIZE(union spdk_nvme_feat_async_event_configuration, 4);
ASSERT_SIZE(union spdk_nvme_feat_autonomous_power_state_transition, 4);
ASSERT_SIZE(union spdk_nvme_feat_host_mem_buffer, 4);
ASSERT_SIZE(union spdk_nvme_feat_keep_alive_timer, 4);
ASSERT_SIZE(union spdk_nvme_feat_host_controlled_thermal_management, 4);
ASSERT_SIZE(union spdk_nvme_feat_non_operational_power_state_config, 4);
ASSERT_SIZE(union spdk_nvme_feat_software_progress_marker, 4);
ASSERT_SIZE(union spdk_nvme_feat_host_identifier, 4);
ASSERT_SIZE(union spdk_nvme_feat_reservation_notification_mask, 4);
ASSERT_SIZE(union spdk_nvme_feat_reservation_persistence, 4);
ASSERT_SIZE(union spdk_nvme_feat_fdp_cdw11, 4);
ASSERT_SIZE(union spdk_nvme_feat_fdp_cdw12, 4);
ASSERT_SIZE(union spdk_nvme_feat_fdp_events_cdw11, 4);
ASSERT_SIZE(union spdk_nvme_feat_fdp_events_cdw12, 4);
ASSERT_SIZE(struct spdk_nvme_host_behavior, 512);

ASSERT_SIZE(struct spdk_nvme_power_state, 32);
ASSERT_SIZE(struct spdk_nvme_cdata_nvmf_specific, 256);
ASSERT_SIZE(struct spdk_nvme_cdata_sgls, 4);
ASSERT_SIZE(struct spdk_nvme_cdata_oncs, 2);
ASSERT_SIZE(struct spdk_nvme_cdata_oacs, 2);
ASSERT_SIZE(struct spdk_nvme_cdata_fuses, 2);
ASSERT_SIZE(struct spdk_nvme_cdata_oaes, 4);
ASSERT_SIZE(union spdk_nvme_cdata_ctratt, 4);
ASSERT_SIZE(struct spdk_nvme_ctrlr_data, 4096);
ASSERT_SIZE(struct spdk_nvme_zns_ctrlr_data, 4096);
ASSERT_SIZE(struct spdk_nvme_nvm_ctrlr_data, 4096);
ASSERT_SIZE(struct spdk_nvme_primary_ctrl_capabilities, 4096);
ASSERT_SIZE(struct spdk_nvme_secondary_ctrl_entry, 32);
ASSERT_SIZE(struct spdk_nvme_secondary_ctrl_list, 4096);
ASSERT_SIZE(struct spdk_nvme_ns_data, 4096);
ASSERT_SIZE(struct spdk_nvme_nvm_ns_data, 4096);
ASSERT_SIZE(struct spdk_nvme_zns_ns_data, 4096);
ASSERT_SIZE(struct spdk_nvme_iocs_vector, 8);
ASSERT_SIZE(struct spdk_nvme_ns_list, 4096);
ASSERT_SIZE(struct spdk_nvme_ns_id_desc, 4);
ASSERT_SIZE(struct spdk_nvme_ctrlr_list, 4096);

ASSERT_SIZE(struct spdk_nvme_reservation_acquire_data, 16);
ASSERT_SIZE(struct spdk_nvme_reservation_status_data, 24);
ASSERT_SIZE(struct spdk_nvme_reservation_status_extended_data, 64);
ASSERT_SIZE(struct spdk_nvme_registered_ctrlr_data, 24);
ASSERT_SIZE(struct spdk_nvme_registered_ctrlr_extended_data, 64);
ASSERT_SIZE(struct spdk_nvme_reservation_register_data, 16);
ASSERT_SIZE(struct spdk_nvme_reservation_key_data, 8);
ASSERT_SIZE(struct spdk_nvme_reservation_notification_log, 64);

ASSERT_SIZE(struct spdk_nvme_error_information_entry, 64);
ASSERT_SIZE(struct spdk_nvme_health_information_page, 512);
ASSERT_SIZE(struct spdk_nvme_firmware_page, 512);
ASSERT_SIZE(struct spdk_nvme_cmds_and_effect_entry, 4);
ASSERT_SIZE(struct spdk_nvme_cmds_and_effect_log_page, 4096);
ASSERT_SIZE(struct spdk_nvme_telemetry_log_page_hdr, 512);
ASSERT_SIZE(struct spdk_nvme_sanitize_status_sstat, 2);
ASSERT_SIZE(struct spdk_nvme_sanitize_status_log_page, 512);
ASSERT_SIZE(union spdk_nvme_async_event_completion, 4);
ASSERT_SIZE(struct spdk_nvme_ana_page, 16);
ASSERT_SIZE(struct spdk_nvme_ana_group_descriptor, 32);

ASSERT_SIZE(struct spdk_nvme_fdp_event_desc, 2);
ASSERT_SIZE(struct spdk_nvme_fdp_ruhs_desc, 32);
ASSERT_SIZE(struct spdk_nvme_fdp_ruhs, 16);
ASSERT_SIZE(struct spdk_nvme_fdp_ruh_descriptor, 4);
ASSERT_SIZE(struct spdk_nvme_fdp_cfg_descriptor, 64);
ASSERT_SIZE(struct spdk_nvme_fdp_cfg_log_page, 16);
ASSERT_SIZE(struct spdk_nvme_fdp_ruhu_descriptor, 8);
ASSERT_SIZE(struct spdk_nvme_fdp_ruhu_log_page, 8);
ASSERT_SIZE(struct spdk_nvme_fdp_stats_log_page, 64);
ASSERT_SIZE(struct spdk_nvme_fdp_event_media_reallocated, 16);
ASSERT_SIZE(struct spdk_nvme_fdp_event, 64);
ASSERT_SIZE(struct spdk_nvme_fdp_events_log_page, 64);

ASSERT_SIZE(struct spdk_nvme_format, 4);
ASSERT_SIZE(struct spdk_nvme_protection_info, 8);
ASSERT_SIZE(struct spdk_nvme_sanitize, 4);
ASSERT_SIZE(struct spdk_nvme_fw_commit, 4);
ASSERT_SIZE(struct spdk_nvme_zns_zone_desc, 64);
ASSERT_SIZE(struct spdk_nvme_zns_zone_report, 64);
ASSERT_SIZE(struct spdk_nvme_ns_identify_directive_param, 4096);
ASSERT_SIZE(struct spdk_nvme_ns_streams_data, 32);
ASSERT_SIZE(struct spdk_nvme_ns_streams_status, 131072);

/* ------------------------------------------------------------------------- */
/* Offsets                                                                   */
/* ------------------------------------------------------------------------- */

/* Controller registers (NVMe Base spec, "Controller Registers") */
ASSERT_OFF(struct spdk_nvme_registers, cap, 0x00);
ASSERT_OFF(struct spdk_nvme_registers, vs, 0x08);
ASSERT_OFF(struct spdk_nvme_registers, intms, 0x0C);
ASSERT_OFF(struct spdk_nvme_registers, intmc, 0x10);
ASSERT_OFF(struct spdk_nvme_registers, cc, 0x14);
ASSERT_OFF(struct spdk_nvme_registers, csts, 0x1C);
ASSERT_OFF(struct spdk_nvme_registers, nssr, 0x20);
ASSERT_OFF(struct spdk_nvme_registers, aqa, 0x24);
ASSERT_OFF(struct spdk_nvme_registers, asq, 0x28);
ASSERT_OFF(struct spdk_nvme_registers, acq, 0x30);
ASSERT_OFF(struct spdk_nvme_registers, cmbloc, 0x38);
ASSERT_OFF(struct spdk_nvme_registers, cmbsz, 0x3C);
ASSERT_OFF(struct spdk_nvme_registers, bpinfo, 0x40);
ASSERT_OFF(struct spdk_nvme_registers, bprsel, 0x44);
ASSERT_OFF(struct spdk_nvme_registers, bpmbl, 0x48);
ASSERT_OFF(struct spdk_nvme_registers, cmbmsc, 0x50);
ASSERT_OFF(struct spdk_nvme_registers, cmbsts, 0x58);
ASSERT_OFF(struct spdk_nvme_registers, pmrcap, 0xE00);
ASSERT_OFF(struct spdk_nvme_registers, pmrctl, 0xE04);
ASSERT_OFF(struct spdk_nvme_registers, pmrsts, 0xE08);
ASSERT_OFF(struct spdk_nvme_registers, pmrebs, 0xE0C);
ASSERT_OFF(struct spdk_nvme_registers, pmrswtp, 0xE10);
ASSERT_OFF(struct spdk_nvme_registers, pmrmscl, 0xE14);
ASSERT_OFF(struct spdk_nvme_registers, pmrmscu, 0xE18);
ASSERT_OFF(struct spdk_nvme_registers, doorbell, 0x1000);
ASSERT_OFF(struct spdk_nvme_registers, doorbell[0].sq_tdbl, 0x1000);
ASSERT_OFF(struct spdk_nvme_registers, doorbell[0].cq_hdbl, 0x1004);

/* Submission queue entry */
ASSERT_OFF(struct spdk_nvme_cmd, cid, 2);
ASSERT_OFF(struct spdk_nvme_cmd, nsid, 4);
ASSERT_OFF(struct spdk_nvme_cmd, rsvd2, 8);
ASSERT_OFF(struct spdk_nvme_cmd, rsvd3, 12);
ASSERT_OFF(struct spdk_nvme_cmd, mptr, 16);
ASSERT_OFF(struct spdk_nvme_cmd, dptr, 24);
ASSERT_OFF(struct spdk_nvme_cmd, dptr.prp.prp1, 24);
ASSERT_OFF(struct spdk_nvme_cmd, dptr.prp.prp2, 32);
ASSERT_OFF(struct spdk_nvme_cmd, dptr.sgl1.address, 24);
ASSERT_OFF(struct spdk_nvme_cmd, cdw10, 40);
ASSERT_OFF(struct spdk_nvme_cmd, cdw10_bits, 40);
ASSERT_OFF(struct spdk_nvme_cmd, cdw11, 44);
ASSERT_OFF(struct spdk_nvme_cmd, cdw11_bits, 44);
ASSERT_OFF(struct spdk_nvme_cmd, cdw12, 48);
ASSERT_OFF(struct spdk_nvme_cmd, cdw12_bits, 48);
ASSERT_OFF(struct spdk_nvme_cmd, cdw13, 52);
ASSERT_OFF(struct spdk_nvme_cmd, cdw13_bits, 52);
ASSERT_OFF(struct spdk_nvme_cmd, cdw14, 56);
ASSERT_OFF(struct spdk_nvme_cmd, cdw15, 60);

/* SGL descriptor: bytes 8..14 descriptor specific, byte 15 identifier */
ASSERT_OFF(struct spdk_nvme_sgl_descriptor, address, 0);
ASSERT_OFF(struct spdk_nvme_sgl_descriptor, unkeyed.length, 8);
ASSERT_OFF(struct spdk_nvme_sgl_descriptor, generic.reserved, 8);

/* Completion queue entry */
ASSERT_OFF(struct spdk_nvme_cpl, cdw0, 0);
ASSERT_OFF(struct spdk_nvme_cpl, cdw1, 4);
ASSERT_OFF(struct spdk_nvme_cpl, sqhd, 8);
ASSERT_OFF(struct spdk_nvme_cpl, sqid, 10);
ASSERT_OFF(struct spdk_nvme_cpl, cid, 12);
ASSERT_OFF(struct spdk_nvme_cpl, status, 14);
ASSERT_OFF(struct spdk_nvme_cpl, status_raw, 14);

/* Dataset Management range (NVM Command Set spec) */
ASSERT_OFF(struct spdk_nvme_dsm_range, attributes, 0);
ASSERT_OFF(struct spdk_nvme_dsm_range, length, 4);
ASSERT_OFF(struct spdk_nvme_dsm_range, starting_lba, 8);

/* Copy source range format 0 */
ASSERT_OFF(struct spdk_nvme_scc_source_range, slba, 8);
ASSERT_OFF(struct spdk_nvme_scc_source_range, nlb, 16);
ASSERT_OFF(struct spdk_nvme_scc_source_range, eilbrt, 24);
ASSERT_OFF(struct spdk_nvme_scc_source_range, elbat, 28);
ASSERT_OFF(struct spdk_nvme_scc_source_range, elbatm, 30);

/* Power state descriptor */
ASSERT_OFF(struct spdk_nvme_power_state, mp, 0);
ASSERT_OFF(struct spdk_nvme_power_state, enlat, 4);
ASSERT_OFF(struct spdk_nvme_power_state, exlat, 8);
ASSERT_OFF(struct spdk_nvme_power_state, idlp, 16);
ASSERT_OFF(struct spdk_nvme_power_state, actp, 20);
ASSERT_OFF(struct spdk_nvme_power_state, reserved10, 23);

/* Identify Controller data structure */
ASSERT_OFF(struct spdk_nvme_ctrlr_data, vid, 0);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, ssvid, 2);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, sn, 4);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, mn, 24);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, fr, 64);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, rab, 72);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, ieee, 73);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, cmic, 76);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, mdts, 77);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, cntlid, 78);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, ver, 80);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, rtd3r, 84);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, rtd3e, 88);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, oaes, 92);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, ctratt, 96);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, rrls, 100);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, cntrltype, 111);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, fguid, 112);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, crdt, 128);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, nvmsr, 253);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, vwci, 254);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, mec, 255);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, oacs, 256);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, acl, 258);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, aerl, 259);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, frmw, 260);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, lpa, 261);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, elpe, 262);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, npss, 263);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, avscc, 264);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, apsta, 265);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, wctemp, 266);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, cctemp, 268);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, mtfa, 270);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, hmpre, 272);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, hmmin, 276);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, tnvmcap, 280);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, unvmcap, 296);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, rpmbs, 312);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, edstt, 316);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, dsto, 318);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, fwug, 319);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, kas, 320);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, hctma, 322);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, mntmt, 324);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, mxtmt, 326);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, sanicap, 328);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, hmminds, 332);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, hmmaxd, 336);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, nsetidmax, 338);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, endgidmax, 340);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, anatt, 342);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, anacap, 343);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, anagrpmax, 344);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, nanagrpid, 348);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, pels, 352);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, domain_identifier, 356);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, megcap, 368);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, sqes, 512);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, cqes, 513);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, maxcmd, 514);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, nn, 516);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, oncs, 520);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, fuses, 522);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, fna, 524);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, vwc, 525);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, awun, 526);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, awupf, 528);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, nvscc, 530);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, nwpc, 531);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, acwu, 532);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, ocfs, 534);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, sgls, 536);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, mnan, 540);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, maxdna, 544);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, maxcna, 560);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, subnqn, 768);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, nvmf_specific, 1792);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, nvmf_specific.ioccsz, 1792);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, nvmf_specific.iorcsz, 1796);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, nvmf_specific.icdoff, 1800);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, nvmf_specific.ctrattr, 1802);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, nvmf_specific.msdbd, 1803);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, nvmf_specific.ofcs, 1804);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, psd, 2048);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, psd[1], 2080);
ASSERT_OFF(struct spdk_nvme_ctrlr_data, vs, 3072);

/* Identify Namespace data structure (NVM Command Set spec) */
ASSERT_OFF(struct spdk_nvme_ns_data, nsze, 0);
ASSERT_OFF(struct spdk_nvme_ns_data, ncap, 8);
ASSERT_OFF(struct spdk_nvme_ns_data, nuse, 16);
ASSERT_OFF(struct spdk_nvme_ns_data, nsfeat, 24);
ASSERT_OFF(struct spdk_nvme_ns_data, nlbaf, 25);
ASSERT_OFF(struct spdk_nvme_ns_data, flbas, 26);
ASSERT_OFF(struct spdk_nvme_ns_data, mc, 27);
ASSERT_OFF(struct spdk_nvme_ns_data, dpc, 28);
ASSERT_OFF(struct spdk_nvme_ns_data, dps, 29);
ASSERT_OFF(struct spdk_nvme_ns_data, nmic, 30);
ASSERT_OFF(struct spdk_nvme_ns_data, nsrescap, 31);
ASSERT_OFF(struct spdk_nvme_ns_data, fpi, 32);
ASSERT_OFF(struct spdk_nvme_ns_data, dlfeat, 33);
ASSERT_OFF(struct spdk_nvme_ns_data, nawun, 34);
ASSERT_OFF(struct spdk_nvme_ns_data, nawupf, 36);
ASSERT_OFF(struct spdk_nvme_ns_data, nacwu, 38);
ASSERT_OFF(struct spdk_nvme_ns_data, nabsn, 40);
ASSERT_OFF(struct spdk_nvme_ns_data, nabo, 42);
ASSERT_OFF(struct spdk_nvme_ns_data, nabspf, 44);
ASSERT_OFF(struct spdk_nvme_ns_data, noiob, 46);
ASSERT_OFF(struct spdk_nvme_ns_data, nvmcap, 48);
ASSERT_OFF(struct spdk_nvme_ns_data, npwg, 64);
ASSERT_OFF(struct spdk_nvme_ns_data, npwa, 66);
ASSERT_OFF(struct spdk_nvme_ns_data, npdg, 68);
ASSERT_OFF(struct spdk_nvme_ns_data, npda, 70);
ASSERT_OFF(struct spdk_nvme_ns_data, nows, 72);
ASSERT_OFF(struct spdk_nvme_ns_data, mssrl, 74);
ASSERT_OFF(struct spdk_nvme_ns_data, mcl, 76);
ASSERT_OFF(struct spdk_nvme_ns_data, msrc, 80);
ASSERT_OFF(struct spdk_nvme_ns_data, anagrpid, 92);
ASSERT_OFF(struct spdk_nvme_ns_data, nsattr, 99);
ASSERT_OFF(struct spdk_nvme_ns_data, nvmsetid, 100);
ASSERT_OFF(struct spdk_nvme_ns_data, endgid, 102);
ASSERT_OFF(struct spdk_nvme_ns_data, nguid, 104);
ASSERT_OFF(struct spdk_nvme_ns_data, eui64, 120);
ASSERT_OFF(struct spdk_nvme_ns_data, lbaf, 128);
ASSERT_OFF(struct spdk_nvme_ns_data, lbaf[1], 132);
ASSERT_OFF(struct spdk_nvme_ns_data, lbaf[63], 380);
ASSERT_OFF(struct spdk_nvme_ns_data, vendor_specific, 384);

/* NVM command set specific Identify Namespace */
ASSERT_OFF(struct spdk_nvme_nvm_ns_data, lbstm, 0);
ASSERT_OFF(struct spdk_nvme_nvm_ns_data, pic, 8);
ASSERT_OFF(struct spdk_nvme_nvm_ns_data, elbaf, 12);
ASSERT_OFF(struct spdk_nvme_nvm_ns_data, reserved2, 268);

/* NVM command set specific Identify Controller */
ASSERT_OFF(struct spdk_nvme_nvm_ctrlr_data, vsl, 0);
ASSERT_OFF(struct spdk_nvme_nvm_ctrlr_data, wzsl, 1);
ASSERT_OFF(struct spdk_nvme_nvm_ctrlr_data, wusl, 2);
ASSERT_OFF(struct spdk_nvme_nvm_ctrlr_data, dmrl, 3);
ASSERT_OFF(struct spdk_nvme_nvm_ctrlr_data, dmrsl, 4);
ASSERT_OFF(struct spdk_nvme_nvm_ctrlr_data, dmsl, 8);

/* ZNS Identify Namespace */
ASSERT_OFF(struct spdk_nvme_zns_ns_data, mar, 4);
ASSERT_OFF(struct spdk_nvme_zns_ns_data, mor, 8);
ASSERT_OFF(struct spdk_nvme_zns_ns_data, rrl, 12);
ASSERT_OFF(struct spdk_nvme_zns_ns_data, frl, 16);
ASSERT_OFF(struct spdk_nvme_zns_ns_data, lbafe, 2816);
ASSERT_OFF(struct spdk_nvme_zns_ns_data, vendor_specific, 3840);

/* Primary controller capabilities / secondary controller entry */
ASSERT_OFF(struct spdk_nvme_primary_ctrl_capabilities, crt, 4);
ASSERT_OFF(struct spdk_nvme_primary_ctrl_capabilities, vqfrt, 32);
ASSERT_OFF(struct spdk_nvme_primary_ctrl_capabilities, vqrfa, 36);
ASSERT_OFF(struct spdk_nvme_primary_ctrl_capabilities, vqrfap, 40);
ASSERT_OFF(struct spdk_nvme_primary_ctrl_capabilities, vqgran, 46);
ASSERT_OFF(struct spdk_nvme_primary_ctrl_capabilities, vifrt, 64);
ASSERT_OFF(struct spdk_nvme_primary_ctrl_capabilities, vigran, 78);
ASSERT_OFF(struct spdk_nvme_secondary_ctrl_entry, scs, 4);
ASSERT_OFF(struct spdk_nvme_secondary_ctrl_entry, vfn, 8);
ASSERT_OFF(struct spdk_nvme_secondary_ctrl_entry, nvq, 10);
ASSERT_OFF(struct spdk_nvme_secondary_ctrl_entry, nvi, 12);
ASSERT_OFF(struct spdk_nvme_secondary_ctrl_list, entries, 32);

/* Error Information log entry */
ASSERT_OFF(struct spdk_nvme_error_information_entry, error_count, 0);
ASSERT_OFF(struct spdk_nvme_error_information_entry, sqid, 8);
ASSERT_OFF(struct spdk_nvme_error_information_entry, cid, 10);
ASSERT_OFF(struct spdk_nvme_error_information_entry, status, 12);
ASSERT_OFF(struct spdk_nvme_error_information_entry, error_location, 14);
ASSERT_OFF(struct spdk_nvme_error_information_entry, lba, 16);
ASSERT_OFF(struct spdk_nvme_error_information_entry, nsid, 24);
ASSERT_OFF(struct spdk_nvme_error_information_entry, vendor_specific, 28);
ASSERT_OFF(struct spdk_nvme_error_information_entry, trtype, 29);
ASSERT_OFF(struct spdk_nvme_error_information_entry, command_specific, 32);
ASSERT_OFF(struct spdk_nvme_error_information_entry, trtype_specific, 40);

/* SMART / Health Information log page */
ASSERT_OFF(struct spdk_nvme_health_information_page, critical_warning, 0);
ASSERT_OFF(struct spdk_nvme_health_information_page, temperature, 1);
ASSERT_OFF(struct spdk_nvme_health_information_page, available_spare, 3);
ASSERT_OFF(struct spdk_nvme_health_information_page, available_spare_threshold, 4);
ASSERT_OFF(struct spdk_nvme_health_information_page, percentage_used, 5);
ASSERT_OFF(struct spdk_nvme_health_information_page, data_units_read, 32);
ASSERT_OFF(struct spdk_nvme_health_information_page, data_units_written, 48);
ASSERT_OFF(struct spdk_nvme_health_information_page, host_read_commands, 64);
ASSERT_OFF(struct spdk_nvme_health_information_page, host_write_commands, 80);
ASSERT_OFF(struct spdk_nvme_health_information_page, controller_busy_time, 96);
ASSERT_OFF(struct spdk_nvme_health_information_page, power_cycles, 112);
ASSERT_OFF(struct spdk_nvme_health_information_page, power_on_hours, 128);
ASSERT_OFF(struct spdk_nvme_health_information_page, unsafe_shutdowns, 144);
ASSERT_OFF(struct spdk_nvme_health_information_page, media_errors, 160);
ASSERT_OFF(struct spdk_nvme_health_information_page, num_error_info_log_entries, 176);
ASSERT_OFF(struct spdk_nvme_health_information_page, warning_temp_time, 192);
ASSERT_OFF(struct spdk_nvme_health_information_page, critical_temp_time, 196);
ASSERT_OFF(struct spdk_nvme_health_information_page, temp_sensor, 200);

/* Firmware Slot Information log page */
ASSERT_OFF(struct spdk_nvme_firmware_page, afi, 0);
ASSERT_OFF(struct spdk_nvme_firmware_page, revision, 8);
ASSERT_OFF(struct spdk_nvme_firmware_page, reserved2, 64);

/* Commands Supported and Effects log page */
ASSERT_OFF(struct spdk_nvme_cmds_and_effect_log_page, io_cmds_supported, 1024);

/* Telemetry log header */
ASSERT_OFF(struct spdk_nvme_telemetry_log_page_hdr, ieee_oui, 5);
ASSERT_OFF(struct spdk_nvme_telemetry_log_page_hdr, dalb1, 8);
ASSERT_OFF(struct spdk_nvme_telemetry_log_page_hdr, dalb3, 12);
ASSERT_OFF(struct spdk_nvme_telemetry_log_page_hdr, ctrlr_avail, 382);
ASSERT_OFF(struct spdk_nvme_telemetry_log_page_hdr, ctrlr_gen, 383);
ASSERT_OFF(struct spdk_nvme_telemetry_log_page_hdr, rsnident, 384);
ASSERT_OFF(struct spdk_nvme_telemetry_log_page_hdr, telemetry_datablock, 512);

/* Sanitize Status log page */
ASSERT_OFF(struct spdk_nvme_sanitize_status_log_page, sstat, 2);
ASSERT_OFF(struct spdk_nvme_sanitize_status_log_page, scdw10, 4);
ASSERT_OFF(struct spdk_nvme_sanitize_status_log_page, et_overwrite, 8);
ASSERT_OFF(struct spdk_nvme_sanitize_status_log_page, et_crypto_erase, 16);

/* ANA log page */
ASSERT_OFF(struct spdk_nvme_ana_page, num_ana_group_desc, 8);
ASSERT_OFF(struct spdk_nvme_ana_group_descriptor, num_of_nsid, 4);
ASSERT_OFF(struct spdk_nvme_ana_group_descriptor, change_count, 8);
ASSERT_OFF(struct spdk_nvme_ana_group_descriptor, nsid, 32);

/* Reservations */
ASSERT_OFF(struct spdk_nvme_reservation_status_data, rtype, 4);
ASSERT_OFF(struct spdk_nvme_reservation_status_data, regctl, 5);
ASSERT_OFF(struct spdk_nvme_reservation_status_data, ptpls, 9);
ASSERT_OFF(struct spdk_nvme_registered_ctrlr_data, rcsts, 2);
ASSERT_OFF(struct spdk_nvme_registered_ctrlr_data, hostid, 8);
ASSERT_OFF(struct spdk_nvme_registered_ctrlr_data, rkey, 16);
ASSERT_OFF(struct spdk_nvme_registered_ctrlr_extended_data, rkey, 8);
ASSERT_OFF(struct spdk_nvme_registered_ctrlr_extended_data, hostid, 16);
ASSERT_OFF(struct spdk_nvme_reservation_notification_log, type, 8);
ASSERT_OFF(struct spdk_nvme_reservation_notification_log, num_avail_log_pages, 9);
ASSERT_OFF(struct spdk_nvme_reservation_notification_log, nsid, 12);

/* FDP */
ASSERT_OFF(struct spdk_nvme_fdp_ruhs_desc, earutr, 4);
ASSERT_OFF(struct spdk_nvme_fdp_ruhs_desc, ruamw, 8);
ASSERT_OFF(struct spdk_nvme_fdp_ruhs, nruhsd, 14);
ASSERT_OFF(struct spdk_nvme_fdp_cfg_descriptor, nrg, 4);
ASSERT_OFF(struct spdk_nvme_fdp_cfg_descriptor, nruh, 8);
ASSERT_OFF(struct spdk_nvme_fdp_cfg_descriptor, maxpids, 10);
ASSERT_OFF(struct spdk_nvme_fdp_cfg_descriptor, nns, 12);
ASSERT_OFF(struct spdk_nvme_fdp_cfg_descriptor, runs, 16);
ASSERT_OFF(struct spdk_nvme_fdp_cfg_descriptor, erutl, 24);
ASSERT_OFF(struct spdk_nvme_fdp_cfg_descriptor, ruh_desc, 64);
ASSERT_OFF(struct spdk_nvme_fdp_event, pid, 2);
ASSERT_OFF(struct spdk_nvme_fdp_event, timestamp, 4);
ASSERT_OFF(struct spdk_nvme_fdp_event, nsid, 12);
ASSERT_OFF(struct spdk_nvme_fdp_event, event_type_specific, 16);
ASSERT_OFF(struct spdk_nvme_fdp_event, rgid, 32);
ASSERT_OFF(struct spdk_nvme_fdp_event, ruhid, 34);
ASSERT_OFF(struct spdk_nvme_fdp_event, vs, 40);
ASSERT_OFF(struct spdk_nvme_fdp_event_media_reallocated, nlbam, 2);
ASSERT_OFF(struct spdk_nvme_fdp_event_media_reallocated, lba, 4);

/* Zone descriptor and report */
ASSERT_OFF(struct spdk_nvme_zns_zone_desc, za, 2);
ASSERT_OFF(struct spdk_nvme_zns_zone_desc, zcap, 8);
ASSERT_OFF(struct spdk_nvme_zns_zone_desc, zslba, 16);
ASSERT_OFF(struct spdk_nvme_zns_zone_desc, wp, 24);
ASSERT_OFF(struct spdk_nvme_zns_zone_report, descs, 64);

/* Namespace identification descriptor and lists */
ASSERT_OFF(struct spdk_nvme_ns_id_desc, nidl, 1);
ASSERT_OFF(struct spdk_nvme_ns_id_desc, nid, 4);
ASSERT_OFF(struct spdk_nvme_ctrlr_list, ctrlr_list, 2);

/* Streams directive */
ASSERT_OFF(struct spdk_nvme_ns_streams_data, nssc, 6);
ASSERT_OFF(struct spdk_nvme_ns_streams_data, sws, 16);
ASSERT_OFF(struct spdk_nvme_ns_streams_data, sgs, 20);
ASSERT_OFF(struct spdk_nvme_ns_streams_data, nsa, 22);
ASSERT_OFF(struct spdk_nvme_ns_streams_data, nso, 24);
ASSERT_OFF(struct spdk_nvme_ns_identify_directive_param, directives_enabled, 32);
ASSERT_OFF(struct spdk_nvme_ns_identify_directive_param, directives_persistence, 64);

/* ------------------------------------------------------------------------- */
/* Constants                                                                 */
/* ------------------------------------------------------------------------- */

_Static_assert(SPDK_NVME_GLOBAL_NS_TAG == 0xFFFFFFFFu, "global ns tag");
_Static_assert(SPDK_NVME_MAX_IO_QUEUES == 65535, "max io queues");
_Static_assert(SPDK_NVME_ADMIN_QUEUE_MIN_ENTRIES == 2, "admin q min");
_Static_assert(SPDK_NVME_ADMIN_QUEUE_MAX_ENTRIES == 4096, "admin q max");
_Static_assert(SPDK_NVME_IO_QUEUE_MIN_ENTRIES == 2, "io q min");
_Static_assert(SPDK_NVME_IO_QUEUE_MAX_ENTRIES == 65536, "io q max");
_Static_assert(SPDK_NVME_DATASET_MANAGEMENT_MAX_RANGES == 256, "dsm ranges");
_Static_assert(SPDK_NVME_DATASET_MANAGEMENT_RANGE_MAX_BLOCKS == 0xFFFFFFFFu, "dsm blocks");
_Static_assert(SPDK_NVME_NSSR_VALUE == 0x4E564D65, "NSSR value is \"NVMe\"");
_Static_assert(SPDK_NVME_VERSION(1, 4, 0) == 0x00010400, "version macro");
_Static_assert(SPDK_NVME_VERSION(2, 0, 1) == 0x00020001, "version macro");
_Static_assert(SPDK_NVME_IDENTIFY_BUFLEN == 4096, "identify buffer");
_Static_assert(SPDK_NVME_NQN_FIELD_SIZE == 256, "nqn field");

_Static_assert(SPDK_NVME_OPC_FLUSH == 0x00 && SPDK_NVME_OPC_WRITE == 0x01 &&
	       SPDK_NVME_OPC_READ == 0x02 && SPDK_NVME_OPC_WRITE_UNCORRECTABLE == 0x04 &&
	       SPDK_NVME_OPC_COMPARE == 0x05 && SPDK_NVME_OPC_WRITE_ZEROES == 0x08 &&
	       SPDK_NVME_OPC_DATASET_MANAGEMENT == 0x09 && SPDK_NVME_OPC_VERIFY == 0x0c &&
	       SPDK_NVME_OPC_RESERVATION_REGISTER == 0x0d &&
	       SPDK_NVME_OPC_RESERVATION_REPORT == 0x0e &&
	       SPDK_NVME_OPC_RESERVATION_ACQUIRE == 0x11 &&
	       SPDK_NVME_OPC_RESERVATION_RELEASE == 0x15 && SPDK_NVME_OPC_COPY == 0x19,
	       "NVM opcodes");
_Static_assert(SPDK_NVME_OPC_DELETE_IO_SQ == 0x00 && SPDK_NVME_OPC_CREATE_IO_SQ == 0x01 &&
	       SPDK_NVME_OPC_GET_LOG_PAGE == 0x02 && SPDK_NVME_OPC_DELETE_IO_CQ == 0x04 &&
	       SPDK_NVME_OPC_CREATE_IO_CQ == 0x05 && SPDK_NVME_OPC_IDENTIFY == 0x06 &&
	       SPDK_NVME_OPC_ABORT == 0x08 && SPDK_NVME_OPC_SET_FEATURES == 0x09 &&
	       SPDK_NVME_OPC_GET_FEATURES == 0x0a && SPDK_NVME_OPC_ASYNC_EVENT_REQUEST == 0x0c &&
	       SPDK_NVME_OPC_NS_MANAGEMENT == 0x0d && SPDK_NVME_OPC_FIRMWARE_COMMIT == 0x10 &&
	       SPDK_NVME_OPC_FIRMWARE_IMAGE_DOWNLOAD == 0x11 &&
	       SPDK_NVME_OPC_NS_ATTACHMENT == 0x15 && SPDK_NVME_OPC_KEEP_ALIVE == 0x18 &&
	       SPDK_NVME_OPC_DOORBELL_BUFFER_CONFIG == 0x7c &&
	       SPDK_NVME_OPC_FORMAT_NVM == 0x80 && SPDK_NVME_OPC_SECURITY_SEND == 0x81 &&
	       SPDK_NVME_OPC_SECURITY_RECEIVE == 0x82 && SPDK_NVME_OPC_SANITIZE == 0x84,
	       "admin opcodes");
_Static_assert(SPDK_NVME_OPC_ZONE_APPEND == 0x7d, "zone append opcode");
_Static_assert(SPDK_NVME_SCT_GENERIC == 0 && SPDK_NVME_SCT_COMMAND_SPECIFIC == 1 &&
	       SPDK_NVME_SCT_MEDIA_ERROR == 2 && SPDK_NVME_SCT_PATH == 3 &&
	       SPDK_NVME_SCT_VENDOR_SPECIFIC == 7, "status code types");
_Static_assert(SPDK_NVME_SC_ABORTED_BY_REQUEST == 0x07 &&
	       SPDK_NVME_SC_ABORTED_SQ_DELETION == 0x08 &&
	       SPDK_NVME_SC_INVALID_NAMESPACE_OR_FORMAT == 0x0b &&
	       SPDK_NVME_SC_LBA_OUT_OF_RANGE == 0x80 &&
	       SPDK_NVME_SC_RESERVATION_CONFLICT == 0x83 &&
	       SPDK_NVME_SC_INVALID_LOG_PAGE == 0x09 &&
	       SPDK_NVME_SC_UNRECOVERED_READ_ERROR == 0x81 &&
	       SPDK_NVME_SC_GUARD_CHECK_ERROR == 0x82 &&
	       SPDK_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE == 0x02 &&
	       SPDK_NVME_SC_HOST_PATH_ERROR == 0x70, "status codes");
_Static_assert(SPDK_NVME_FEAT_ARBITRATION == 0x01 &&
	       SPDK_NVME_FEAT_VOLATILE_WRITE_CACHE == 0x06 &&
	       SPDK_NVME_FEAT_NUMBER_OF_QUEUES == 0x07 &&
	       SPDK_NVME_FEAT_ASYNC_EVENT_CONFIGURATION == 0x0B &&
	       SPDK_NVME_FEAT_KEEP_ALIVE_TIMER == 0x0F &&
	       SPDK_NVME_FEAT_HOST_BEHAVIOR_SUPPORT == 0x16 &&
	       SPDK_NVME_FEAT_HOST_IDENTIFIER == 0x81 &&
	       SPDK_NVME_FEAT_HOST_RESERVE_PERSIST == 0x83, "feature identifiers");
_Static_assert(SPDK_NVME_LOG_ERROR == 0x01 && SPDK_NVME_LOG_HEALTH_INFORMATION == 0x02 &&
	       SPDK_NVME_LOG_FIRMWARE_SLOT == 0x03 && SPDK_NVME_LOG_CHANGED_NS_LIST == 0x04 &&
	       SPDK_NVME_LOG_COMMAND_EFFECTS_LOG == 0x05 &&
	       SPDK_NVME_LOG_ASYMMETRIC_NAMESPACE_ACCESS == 0x0C &&
	       SPDK_NVME_LOG_DISCOVERY == 0x70 &&
	       SPDK_NVME_LOG_RESERVATION_NOTIFICATION == 0x80 &&
	       SPDK_NVME_LOG_SANITIZE_STATUS == 0x81, "log pages");
_Static_assert(SPDK_NVME_IDENTIFY_NS == 0x00 && SPDK_NVME_IDENTIFY_CTRLR == 0x01 &&
	       SPDK_NVME_IDENTIFY_ACTIVE_NS_LIST == 0x02 &&
	       SPDK_NVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST == 0x03 &&
	       SPDK_NVME_IDENTIFY_NS_IOCS == 0x05 && SPDK_NVME_IDENTIFY_CTRLR_IOCS == 0x06 &&
	       SPDK_NVME_IDENTIFY_IOCS == 0x1c, "identify CNS");
_Static_assert(SPDK_NVME_NIDT_EUI64 == 1 && SPDK_NVME_NIDT_NGUID == 2 &&
	       SPDK_NVME_NIDT_UUID == 3 && SPDK_NVME_NIDT_CSI == 4, "NIDT");
_Static_assert(SPDK_NVME_DSM_ATTR_INTEGRAL_READ == 1 &&
	       SPDK_NVME_DSM_ATTR_INTEGRAL_WRITE == 2 &&
	       SPDK_NVME_DSM_ATTR_DEALLOCATE == 4, "DSM attributes");
_Static_assert(SPDK_NVME_CMD_FUSE_NONE == 0 && SPDK_NVME_CMD_FUSE_FIRST == 1 &&
	       SPDK_NVME_CMD_FUSE_SECOND == 2 && SPDK_NVME_CMD_FUSE_MASK == 3, "fuse");
_Static_assert(SPDK_NVME_CC_CSS_NVM == 0 && SPDK_NVME_CC_CSS_IOCS == 6 &&
	       SPDK_NVME_CC_CSS_NOIO == 7, "CC.CSS");
_Static_assert(SPDK_NVME_CAP_CSS_NVM == 0x01 && SPDK_NVME_CAP_CSS_IOCS == 0x40 &&
	       SPDK_NVME_CAP_CSS_NOIO == 0x80, "CAP.CSS");
_Static_assert(SPDK_NVME_SHN_NORMAL == 1 && SPDK_NVME_SHN_ABRUPT == 2 &&
	       SPDK_NVME_SHST_NORMAL == 0 && SPDK_NVME_SHST_OCCURRING == 1 &&
	       SPDK_NVME_SHST_COMPLETE == 2, "shutdown");
_Static_assert(SPDK_NVME_PSDT_PRP == 0 && SPDK_NVME_PSDT_SGL_MPTR_CONTIG == 1 &&
	       SPDK_NVME_PSDT_SGL_MPTR_SGL == 2, "PSDT");
_Static_assert(SPDK_NVME_SGL_TYPE_DATA_BLOCK == 0 && SPDK_NVME_SGL_TYPE_BIT_BUCKET == 1 &&
	       SPDK_NVME_SGL_TYPE_SEGMENT == 2 && SPDK_NVME_SGL_TYPE_LAST_SEGMENT == 3 &&
	       SPDK_NVME_SGL_TYPE_KEYED_DATA_BLOCK == 4 &&
	       SPDK_NVME_SGL_TYPE_TRANSPORT_DATA_BLOCK == 5 &&
	       SPDK_NVME_SGL_TYPE_VENDOR_SPECIFIC == 0xF &&
	       SPDK_NVME_SGL_SUBTYPE_ADDRESS == 0 && SPDK_NVME_SGL_SUBTYPE_OFFSET == 1 &&
	       SPDK_NVME_SGL_SUBTYPE_TRANSPORT == 0xa, "SGL types");
_Static_assert(SPDK_NVME_ASYNC_EVENT_TYPE_ERROR == 0 && SPDK_NVME_ASYNC_EVENT_TYPE_SMART == 1 &&
	       SPDK_NVME_ASYNC_EVENT_TYPE_NOTICE == 2 && SPDK_NVME_ASYNC_EVENT_TYPE_IO == 6 &&
	       SPDK_NVME_ASYNC_EVENT_TYPE_VENDOR == 7, "async event types");
_Static_assert(SPDK_NVME_CSI_NVM == 0 && SPDK_NVME_CSI_KV == 1 && SPDK_NVME_CSI_ZNS == 2,
	       "CSI");
_Static_assert(SPDK_NVME_RESERVE_WRITE_EXCLUSIVE == 1 &&
	       SPDK_NVME_RESERVE_EXCLUSIVE_ACCESS_ALL_REGS == 6, "reservation types");

/* io_flags bits 31:16 are command dword 12 bits 31:16 */
_Static_assert(SPDK_NVME_IO_FLAGS_LIMITED_RETRY == 0x80000000u, "LR");
_Static_assert(SPDK_NVME_IO_FLAGS_FORCE_UNIT_ACCESS == 0x40000000u, "FUA");
_Static_assert(SPDK_NVME_IO_FLAGS_PRACT == 0x20000000u, "PRACT");
_Static_assert(SPDK_NVME_IO_FLAGS_PRCHK_GUARD == 0x10000000u, "PRCHK guard");
_Static_assert(SPDK_NVME_IO_FLAGS_PRCHK_APPTAG == 0x08000000u, "PRCHK apptag");
_Static_assert(SPDK_NVME_IO_FLAGS_PRCHK_REFTAG == 0x04000000u, "PRCHK reftag");
_Static_assert(SPDK_NVME_IO_FLAGS_ZONE_APPEND_PIREMAP == 0x02000000u, "PIREMAP");
_Static_assert(SPDK_NVME_IO_FLAGS_STREAMS_DIRECTIVE == 0x00100000u, "streams directive");
_Static_assert(SPDK_NVME_IO_FLAGS_DATA_PLACEMENT_DIRECTIVE == 0x00200000u, "FDP directive");
_Static_assert(SPDK_NVME_IO_FLAGS_FUSE_FIRST == 1 && SPDK_NVME_IO_FLAGS_FUSE_SECOND == 2 &&
	       SPDK_NVME_IO_FLAGS_FUSE_MASK == 3, "fuse io flags");
_Static_assert(SPDK_NVME_IO_FLAGS_PRCHK_MASK ==
	       (SPDK_NVME_IO_FLAGS_PRCHK_GUARD | SPDK_NVME_IO_FLAGS_PRCHK_APPTAG |
		SPDK_NVME_IO_FLAGS_PRCHK_REFTAG), "PRCHK mask");
_Static_assert(SPDK_NVME_IO_FLAGS_VALID_MASK == 0xFFFF0003u &&
	       SPDK_NVME_IO_FLAGS_CDW12_MASK == 0xFFFF0000u, "io flag masks");

/* ------------------------------------------------------------------------- */
/* Runtime checks: bit positions                                             */
/* ------------------------------------------------------------------------- */

/* The four (two) bytes at byte_offset, read as the little-endian dword (word)
 * whose bits the specification numbers. */
static uint32_t
dword_at(const void *p, size_t byte_offset)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)p + byte_offset, sizeof(v));
	return v;
}

static uint16_t
word_at(const void *p, size_t byte_offset)
{
	uint16_t v;

	memcpy(&v, (const uint8_t *)p + byte_offset, sizeof(v));
	return v;
}

static void
test_host_is_little_endian(void)
{
	uint32_t v = 0x01020304;
	uint8_t b[4];

	memcpy(b, &v, sizeof(b));
	CHECK_EQ_U(b[0], 0x04);
}

static void
test_status(void)
{
	struct spdk_nvme_cpl cpl;

	memset(&cpl, 0, sizeof(cpl));
	cpl.status.sc = 0x81;
	cpl.status.sct = 2;
	cpl.status.dnr = 1;
	CHECK_EQ_U(cpl.status_raw, (1u << 15) | (2u << 9) | (0x81u << 1));
	CHECK_EQ_U(word_at(&cpl, 14), cpl.status_raw);

	memset(&cpl, 0, sizeof(cpl));
	cpl.status.p = 1;
	CHECK_EQ_U(cpl.status_raw, 0x0001);
	cpl.status.p = 0;
	cpl.status.crd = 3;
	CHECK_EQ_U(cpl.status_raw, 0x3000);
	cpl.status.crd = 0;
	cpl.status.m = 1;
	CHECK_EQ_U(cpl.status_raw, 0x4000);

	/* and back: a raw status word decodes into its fields */
	cpl.status_raw = (uint16_t)((1u << 15) | (1u << 14) | (2u << 12) | (3u << 9) |
				    (0x71u << 1) | 1u);
	CHECK_EQ_U(cpl.status.p, 1);
	CHECK_EQ_U(cpl.status.sc, SPDK_NVME_SC_ABORTED_BY_HOST);
	CHECK_EQ_U(cpl.status.sct, SPDK_NVME_SCT_PATH);
	CHECK_EQ_U(cpl.status.crd, 2);
	CHECK_EQ_U(cpl.status.m, 1);
	CHECK_EQ_U(cpl.status.dnr, 1);

	/* completion dwords */
	memset(&cpl, 0, sizeof(cpl));
	cpl.cdw0 = 0x11223344;
	cpl.cdw1 = 0x55667788;
	cpl.sqhd = 0x0102;
	cpl.sqid = 0x0304;
	cpl.cid = 0x0506;
	CHECK_EQ_U(dword_at(&cpl, 0), 0x11223344);
	CHECK_EQ_U(dword_at(&cpl, 4), 0x55667788);
	CHECK_EQ_U(dword_at(&cpl, 8), 0x03040102);
	CHECK_EQ_U(word_at(&cpl, 12), 0x0506);
}

static void
test_cpl_macros(void)
{
	struct spdk_nvme_cpl cpl;

	memset(&cpl, 0, sizeof(cpl));
	CHECK(!spdk_nvme_cpl_is_error(&cpl));
	CHECK(spdk_nvme_cpl_is_success(&cpl));
	CHECK(!spdk_nvme_cpl_is_path_error(&cpl));
	CHECK(spdk_nvme_cpl_is_abort_success(&cpl));
	cpl.cdw0 = 1; /* abort: command not aborted */
	CHECK(!spdk_nvme_cpl_is_abort_success(&cpl));
	cpl.cdw0 = 0;

	/* a non-zero status code in the generic type is an error */
	cpl.status.sct = SPDK_NVME_SCT_GENERIC;
	cpl.status.sc = SPDK_NVME_SC_INVALID_FIELD;
	CHECK(spdk_nvme_cpl_is_error(&cpl));
	CHECK(!spdk_nvme_cpl_is_success(&cpl));

	/* success code, but a non-generic type, is an error too */
	cpl.status.sc = SPDK_NVME_SC_SUCCESS;
	cpl.status.sct = SPDK_NVME_SCT_COMMAND_SPECIFIC;
	CHECK(spdk_nvme_cpl_is_error(&cpl));

	/* phase, more and do-not-retry do not make an error */
	memset(&cpl, 0, sizeof(cpl));
	cpl.status.p = 1;
	cpl.status.m = 1;
	cpl.status.dnr = 1;
	CHECK(!spdk_nvme_cpl_is_error(&cpl));

	memset(&cpl, 0, sizeof(cpl));
	cpl.status.sct = SPDK_NVME_SCT_GENERIC;
	cpl.status.sc = SPDK_NVME_SC_ABORTED_SQ_DELETION;
	CHECK(spdk_nvme_cpl_is_aborted_sq_deletion(&cpl));
	CHECK(!spdk_nvme_cpl_is_aborted_by_request(&cpl));
	cpl.status.sc = SPDK_NVME_SC_ABORTED_BY_REQUEST;
	CHECK(spdk_nvme_cpl_is_aborted_by_request(&cpl));
	CHECK(!spdk_nvme_cpl_is_aborted_sq_deletion(&cpl));

	cpl.status.sct = SPDK_NVME_SCT_PATH;
	cpl.status.sc = SPDK_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE;
	CHECK(spdk_nvme_cpl_is_path_error(&cpl));
	CHECK(spdk_nvme_cpl_is_ana_error(&cpl));
	CHECK(spdk_nvme_cpl_is_error(&cpl));
	cpl.status.sc = SPDK_NVME_SC_INTERNAL_PATH_ERROR;
	CHECK(spdk_nvme_cpl_is_path_error(&cpl));
	CHECK(!spdk_nvme_cpl_is_ana_error(&cpl));

	cpl.status.sct = SPDK_NVME_SCT_MEDIA_ERROR;
	cpl.status.sc = SPDK_NVME_SC_GUARD_CHECK_ERROR;
	CHECK(spdk_nvme_cpl_is_pi_error(&cpl));
	cpl.status.sc = SPDK_NVME_SC_UNRECOVERED_READ_ERROR;
	CHECK(!spdk_nvme_cpl_is_pi_error(&cpl));
	CHECK(!spdk_nvme_cpl_is_path_error(&cpl));
}

static void
test_registers(void)
{
	union spdk_nvme_cap_register cap;
	union spdk_nvme_cc_register cc;
	union spdk_nvme_csts_register csts;
	union spdk_nvme_aqa_register aqa;
	union spdk_nvme_vs_register vs;
	union spdk_nvme_cmbsz_register cmbsz;
	struct spdk_nvme_registers *regs;

	/* CAP: MQES 15:00, CQR 16, AMS 18:17, TO 31:24, DSTRD 35:32, NSSRS 36,
	 * CSS 44:37, BPS 45, MPSMIN 51:48, MPSMAX 55:52, PMRS 56, CMBS 57 */
	cap.raw = ((uint64_t)0x3FF) |			/* MQES = 1023 */
		  ((uint64_t)1 << 16) |			/* CQR */
		  ((uint64_t)1 << 17) |			/* AMS = WRR */
		  ((uint64_t)0x3C << 24) |		/* TO = 60 (30 s) */
		  ((uint64_t)0x2 << 32) |		/* DSTRD = 2 */
		  ((uint64_t)1 << 36) |			/* NSSRS */
		  ((uint64_t)0x41 << 37) |		/* CSS = NVM | IOCS */
		  ((uint64_t)1 << 45) |			/* BPS */
		  ((uint64_t)0x0 << 48) |		/* MPSMIN = 0 (4 KiB) */
		  ((uint64_t)0x4 << 52) |		/* MPSMAX = 4 (64 KiB) */
		  ((uint64_t)1 << 56) |			/* PMRS */
		  ((uint64_t)1 << 57);			/* CMBS */
	CHECK_EQ_U(cap.bits.mqes, 0x3FF);
	CHECK_EQ_U(cap.bits.cqr, 1);
	CHECK_EQ_U(cap.bits.ams, SPDK_NVME_CAP_AMS_WRR);
	CHECK_EQ_U(cap.bits.to, 60);
	CHECK_EQ_U(cap.bits.dstrd, 2);
	CHECK_EQ_U(cap.bits.nssrs, 1);
	CHECK_EQ_U(cap.bits.css, SPDK_NVME_CAP_CSS_NVM | SPDK_NVME_CAP_CSS_IOCS);
	CHECK_EQ_U(cap.bits.bps, 1);
	CHECK_EQ_U(cap.bits.mpsmin, 0);
	CHECK_EQ_U(cap.bits.mpsmax, 4);
	CHECK_EQ_U(cap.bits.pmrs, 1);
	CHECK_EQ_U(cap.bits.cmbs, 1);

	cap.raw = 0;
	cap.bits.mpsmin = 0xF;
	CHECK_EQ_U(cap.raw, (uint64_t)0xF << 48);
	cap.raw = 0;
	cap.bits.to = 0xFF;
	CHECK_EQ_U(cap.raw, (uint64_t)0xFF << 24);

	/* CC: EN 0, CSS 6:4, MPS 10:7, AMS 13:11, SHN 15:14, IOSQES 19:16, IOCQES 23:20 */
	cc.raw = 0;
	cc.bits.en = 1;
	CHECK_EQ_U(cc.raw, 0x1);
	cc.raw = 0;
	cc.bits.css = SPDK_NVME_CC_CSS_IOCS;
	CHECK_EQ_U(cc.raw, 6u << 4);
	cc.raw = 0;
	cc.bits.mps = 3;
	CHECK_EQ_U(cc.raw, 3u << 7);
	cc.raw = 0;
	cc.bits.ams = SPDK_NVME_CC_AMS_VS;
	CHECK_EQ_U(cc.raw, 7u << 11);
	cc.raw = 0;
	cc.bits.shn = SPDK_NVME_SHN_NORMAL;
	CHECK_EQ_U(cc.raw, 1u << 14);
	cc.raw = 0;
	cc.bits.iosqes = 6;
	cc.bits.iocqes = 4;
	CHECK_EQ_U(cc.raw, (6u << 16) | (4u << 20));
	cc.raw = 0x00460001; /* the usual value: IOCQES 4, IOSQES 6, EN */
	CHECK_EQ_U(cc.bits.en, 1);
	CHECK_EQ_U(cc.bits.iosqes, 6);
	CHECK_EQ_U(cc.bits.iocqes, 4);
	CHECK_EQ_U(cc.bits.shn, 0);

	/* CSTS: RDY 0, CFS 1, SHST 3:2, NSSRO 4, PP 5 */
	csts.raw = 0x1;
	CHECK_EQ_U(csts.bits.rdy, 1);
	CHECK_EQ_U(csts.bits.cfs, 0);
	csts.raw = 0x2;
	CHECK_EQ_U(csts.bits.rdy, 0);
	CHECK_EQ_U(csts.bits.cfs, 1);
	csts.raw = SPDK_NVME_SHST_COMPLETE << 2;
	CHECK_EQ_U(csts.bits.shst, SPDK_NVME_SHST_COMPLETE);
	csts.raw = 0x30;
	CHECK_EQ_U(csts.bits.nssro, 1);
	CHECK_EQ_U(csts.bits.pp, 1);

	/* AQA: ASQS 11:00, ACQS 27:16 */
	aqa.raw = 0;
	aqa.bits.asqs = 0xFFF;
	aqa.bits.acqs = 0x07F;
	CHECK_EQ_U(aqa.raw, 0x007F0FFF);

	/* VS: TER 7:0, MNR 15:8, MJR 31:16 */
	vs.raw = SPDK_NVME_VERSION(1, 4, 2);
	CHECK_EQ_U(vs.bits.mjr, 1);
	CHECK_EQ_U(vs.bits.mnr, 4);
	CHECK_EQ_U(vs.bits.ter, 2);
	CHECK_EQ_U(vs.raw, 0x00010402);

	/* CMBSZ: SQS 0 ... WDS 4, SZU 11:8, SZ 31:12 */
	cmbsz.raw = 0;
	cmbsz.bits.wds = 1;
	cmbsz.bits.szu = 2;
	cmbsz.bits.sz = 0x12345;
	CHECK_EQ_U(cmbsz.raw, (0x12345u << 12) | (2u << 8) | (1u << 4));

	/* Register block: the doorbells start at 0x1000 and are 8 bytes apart
	 * at the minimum stride (CAP.DSTRD = 0) */
	regs = calloc(1, 0x1000 + 8 * 4);
	if (!CHECK(regs != NULL)) {
		return;
	}
	regs->doorbell[0].sq_tdbl = 0xA1;
	regs->doorbell[0].cq_hdbl = 0xB2;
	CHECK_EQ_U(dword_at(regs, 0x1000), 0xA1);
	CHECK_EQ_U(dword_at(regs, 0x1004), 0xB2);
	regs->cc.bits.en = 1;
	CHECK_EQ_U(dword_at(regs, 0x14), 1);
	regs->csts.bits.rdy = 1;
	CHECK_EQ_U(dword_at(regs, 0x1C), 1);
	regs->nssr = SPDK_NVME_NSSR_VALUE;
	CHECK_EQ_U(memcmp((const uint8_t *)regs + 0x20, "eMVN", 4), 0);
	free(regs);
}

static void
test_cmd(void)
{
	struct spdk_nvme_cmd cmd;

	/* CDW0: OPC 7:0, FUSE 9:8, PSDT 15:14, CID 31:16 */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SPDK_NVME_OPC_READ;
	cmd.fuse = SPDK_NVME_CMD_FUSE_SECOND;
	cmd.psdt = SPDK_NVME_PSDT_SGL_MPTR_CONTIG;
	cmd.cid = 0xBEEF;
	CHECK_EQ_U(dword_at(&cmd, 0), (0xBEEFu << 16) | (1u << 14) | (2u << 8) | 0x02u);

	cmd.nsid = 0x12345678;
	CHECK_EQ_U(dword_at(&cmd, 4), 0x12345678);
	cmd.mptr = 0x1122334455667788ull;
	CHECK_EQ_U(dword_at(&cmd, 16), 0x55667788);
	CHECK_EQ_U(dword_at(&cmd, 20), 0x11223344);
	cmd.dptr.prp.prp1 = 0x1000;
	cmd.dptr.prp.prp2 = 0x2000;
	CHECK_EQ_U(dword_at(&cmd, 24), 0x1000);
	CHECK_EQ_U(dword_at(&cmd, 32), 0x2000);
	CHECK_EQ_U(cmd.dptr.sgl1.address, 0x1000);

	/* the named dwords and their bit views share storage */
	cmd.cdw10 = 0xA0A0A0A0;
	CHECK_EQ_U(cmd.cdw10_bits.raw, 0xA0A0A0A0);
	cmd.cdw11_bits.raw = 0xB1;
	CHECK_EQ_U(cmd.cdw11, 0xB1);
	cmd.cdw12 = 0xC2;
	CHECK_EQ_U(cmd.cdw12_bits.raw, 0xC2);
	cmd.cdw13_bits.raw = 0xD3;
	CHECK_EQ_U(cmd.cdw13, 0xD3);
	cmd.cdw14 = 0xE4;
	cmd.cdw15 = 0xF5;
	CHECK_EQ_U(dword_at(&cmd, 40), 0xA0A0A0A0);
	CHECK_EQ_U(dword_at(&cmd, 44), 0xB1);
	CHECK_EQ_U(dword_at(&cmd, 48), 0xC2);
	CHECK_EQ_U(dword_at(&cmd, 52), 0xD3);
	CHECK_EQ_U(dword_at(&cmd, 56), 0xE4);
	CHECK_EQ_U(dword_at(&cmd, 60), 0xF5);

	/* Identify: CNS 7:0, CNTID 31:16; CSI in CDW11 31:24 */
	cmd.cdw10 = 0;
	cmd.cdw10_bits.identify.cns = SPDK_NVME_IDENTIFY_CTRLR;
	cmd.cdw10_bits.identify.cntid = 0x0102;
	CHECK_EQ_U(cmd.cdw10, 0x01020001);
	cmd.cdw11 = 0;
	cmd.cdw11_bits.identify.csi = SPDK_NVME_CSI_ZNS;
	CHECK_EQ_U(cmd.cdw11, 0x02000000);

	/* Get Log Page: LID 7:0, LSP 14:8, RAE 15, NUMDL 31:16; NUMDU, LSI in CDW11 */
	cmd.cdw10 = 0;
	cmd.cdw10_bits.get_log_page.lid = SPDK_NVME_LOG_HEALTH_INFORMATION;
	cmd.cdw10_bits.get_log_page.lsp = 0x7F;
	cmd.cdw10_bits.get_log_page.rae = 1;
	cmd.cdw10_bits.get_log_page.numdl = (uint16_t)spdk_nvme_bytes_to_numd(512);
	CHECK_EQ_U(cmd.cdw10, (127u << 16) | (1u << 15) | (0x7Fu << 8) | 0x02u);
	cmd.cdw11 = 0;
	cmd.cdw11_bits.get_log_page.numdu = 1;
	cmd.cdw11_bits.get_log_page.lsid = 0xABCD;
	CHECK_EQ_U(cmd.cdw11, 0xABCD0001);

	/* Set Features: FID 7:0, SV 31 */
	cmd.cdw10 = 0;
	cmd.cdw10_bits.set_features.fid = SPDK_NVME_FEAT_NUMBER_OF_QUEUES;
	cmd.cdw10_bits.set_features.sv = 1;
	CHECK_EQ_U(cmd.cdw10, 0x80000007);
	/* Get Features: SEL 10:8 */
	cmd.cdw10 = 0;
	cmd.cdw10_bits.get_features.fid = SPDK_NVME_FEAT_ARBITRATION;
	cmd.cdw10_bits.get_features.sel = 3;
	CHECK_EQ_U(cmd.cdw10, 0x00000301);

	/* Create I/O SQ/CQ: QID 15:0, QSIZE 31:16; PC 0, QPRIO 2:1, CQID 31:16; IEN 1, IV 31:16 */
	cmd.cdw10 = 0;
	cmd.cdw10_bits.create_io_q.qid = 3;
	cmd.cdw10_bits.create_io_q.qsize = 1023;
	CHECK_EQ_U(cmd.cdw10, (1023u << 16) | 3u);
	cmd.cdw11 = 0;
	cmd.cdw11_bits.create_io_sq.pc = 1;
	cmd.cdw11_bits.create_io_sq.qprio = SPDK_NVME_QPRIO_LOW;
	cmd.cdw11_bits.create_io_sq.cqid = 3;
	CHECK_EQ_U(cmd.cdw11, (3u << 16) | (3u << 1) | 1u);
	cmd.cdw11 = 0;
	cmd.cdw11_bits.create_io_cq.ien = 1;
	cmd.cdw11_bits.create_io_cq.iv = 9;
	CHECK_EQ_U(cmd.cdw11, (9u << 16) | (1u << 1));

	/* Abort: SQID 15:0, CID 31:16 */
	cmd.cdw10 = 0;
	cmd.cdw10_bits.abort.sqid = 1;
	cmd.cdw10_bits.abort.cid = 0x77;
	CHECK_EQ_U(cmd.cdw10, 0x00770001);

	/* DSM: NR 7:0 (0's based); AD is CDW11 bit 2 */
	cmd.cdw10 = 0;
	cmd.cdw10_bits.dsm.nr = 255;
	CHECK_EQ_U(cmd.cdw10, 255);
	cmd.cdw11 = 0;
	cmd.cdw11_bits.dsm.ad = 1;
	CHECK_EQ_U(cmd.cdw11, SPDK_NVME_DSM_ATTR_DEALLOCATE);

	/* Reservation acquire: RACQA 2:0, IEKEY 3, RTYPE 15:8 */
	cmd.cdw10 = 0;
	cmd.cdw10_bits.resv_acquire.racqa = SPDK_NVME_RESERVE_PREEMPT;
	cmd.cdw10_bits.resv_acquire.iekey = 1;
	cmd.cdw10_bits.resv_acquire.rtype = SPDK_NVME_RESERVE_EXCLUSIVE_ACCESS;
	CHECK_EQ_U(cmd.cdw10, (2u << 8) | (1u << 3) | 1u);
	/* Reservation register: CPTPL 31:30 */
	cmd.cdw10 = 0;
	cmd.cdw10_bits.resv_register.cptpl = SPDK_NVME_RESERVE_PTPL_PERSIST_POWER_LOSS;
	CHECK_EQ_U(cmd.cdw10, 3u << 30);

	/* Read/Write CDW12: NLB 15:0, DTYPE 23:20, STC 24, PRCHK 28:26, PRACT 29,
	 * FUA 30, LR 31: the same bits as the SPDK_NVME_IO_FLAGS_* values */
	cmd.cdw12 = 0;
	cmd.cdw12_bits.write.nlb = 7;
	CHECK_EQ_U(cmd.cdw12, 7);
	cmd.cdw12 = 0;
	cmd.cdw12_bits.write.fua = 1;
	CHECK_EQ_U(cmd.cdw12, SPDK_NVME_IO_FLAGS_FORCE_UNIT_ACCESS);
	cmd.cdw12 = 0;
	cmd.cdw12_bits.write.lr = 1;
	CHECK_EQ_U(cmd.cdw12, SPDK_NVME_IO_FLAGS_LIMITED_RETRY);
	cmd.cdw12 = 0;
	cmd.cdw12_bits.write.pract = 1;
	CHECK_EQ_U(cmd.cdw12, SPDK_NVME_IO_FLAGS_PRACT);
	cmd.cdw12 = 0;
	cmd.cdw12_bits.write.prchk = 7;
	CHECK_EQ_U(cmd.cdw12, SPDK_NVME_IO_FLAGS_PRCHK_MASK);
	cmd.cdw12 = 0;
	cmd.cdw12_bits.write.dtype = SPDK_NVME_DIRECTIVE_TYPE_DATA_PLACEMENT;
	CHECK_EQ_U(cmd.cdw12, SPDK_NVME_IO_FLAGS_DATA_PLACEMENT_DIRECTIVE);
	cmd.cdw12 = 0;
	cmd.cdw12_bits.write.stc = 1;
	CHECK_EQ_U(cmd.cdw12, 1u << 24);
	/* Write Zeroes: DEAC 25 */
	cmd.cdw12 = 0;
	cmd.cdw12_bits.write_zeroes.deac = 1;
	CHECK_EQ_U(cmd.cdw12, 1u << 25);
	/* Copy: NR 7:0, DF 11:8, PRINFOR 15:12, DTYPE 23:20, PRINFOW 29:26 */
	cmd.cdw12 = 0;
	cmd.cdw12_bits.copy.nr = 2;
	cmd.cdw12_bits.copy.df = 1;
	cmd.cdw12_bits.copy.prinfow = 0xF;
	CHECK_EQ_U(cmd.cdw12, (0xFu << 26) | (1u << 8) | 2u);
	/* Write CDW13: DSM 7:0, DSPEC 31:16 */
	cmd.cdw13 = 0;
	cmd.cdw13_bits.write.dsm = 0x5A;
	cmd.cdw13_bits.write.dspec = 0x1234;
	CHECK_EQ_U(cmd.cdw13, 0x1234005A);

	/* Feature values through cdw11 */
	cmd.cdw11 = 0;
	cmd.cdw11_bits.feat_num_of_queues.bits.nsqr = 31;
	cmd.cdw11_bits.feat_num_of_queues.bits.ncqr = 15;
	CHECK_EQ_U(cmd.cdw11, (15u << 16) | 31u);
	cmd.cdw11 = 0;
	cmd.cdw11_bits.feat_volatile_write_cache.bits.wce = 1;
	CHECK_EQ_U(cmd.cdw11, 1);
}

static void
test_sgl(void)
{
	struct spdk_nvme_sgl_descriptor sgl;
	uint8_t *b = (uint8_t *)&sgl;

	/* byte 15: sub type in bits 3:0, descriptor type in bits 7:4 */
	memset(&sgl, 0, sizeof(sgl));
	sgl.generic.type = SPDK_NVME_SGL_TYPE_LAST_SEGMENT;
	sgl.generic.subtype = SPDK_NVME_SGL_SUBTYPE_OFFSET;
	CHECK_EQ_U(b[15], 0x31);

	memset(&sgl, 0, sizeof(sgl));
	sgl.address = 0xAABBCCDD;
	sgl.unkeyed.type = SPDK_NVME_SGL_TYPE_DATA_BLOCK;
	sgl.unkeyed.subtype = SPDK_NVME_SGL_SUBTYPE_TRANSPORT;
	sgl.unkeyed.length = 0x1000;
	CHECK_EQ_U(dword_at(&sgl, 0), 0xAABBCCDD);
	CHECK_EQ_U(dword_at(&sgl, 8), 0x1000);
	CHECK_EQ_U(b[15], 0x0A);

	/* keyed data block: length bytes 10:8, key bytes 14:11 */
	memset(&sgl, 0, sizeof(sgl));
	sgl.keyed.type = SPDK_NVME_SGL_TYPE_KEYED_DATA_BLOCK;
	sgl.keyed.subtype = SPDK_NVME_SGL_SUBTYPE_ADDRESS;
	sgl.keyed.length = 0x123456;
	sgl.keyed.key = 0xDEADBEEF;
	CHECK_EQ_U(b[8], 0x56);
	CHECK_EQ_U(b[9], 0x34);
	CHECK_EQ_U(b[10], 0x12);
	CHECK_EQ_U(dword_at(&sgl, 11), 0xDEADBEEF);
	CHECK_EQ_U(b[15], 0x40);
	CHECK_EQ_U(sgl.generic.type, SPDK_NVME_SGL_TYPE_KEYED_DATA_BLOCK);
}

static void
test_identify(void)
{
	static struct spdk_nvme_ctrlr_data cdata;
	static struct spdk_nvme_ns_data nsdata;
	const uint8_t *cb = (const uint8_t *)&cdata;
	const uint8_t *nb = (const uint8_t *)&nsdata;

	memset(&cdata, 0, sizeof(cdata));
	/* SQES byte 512: required (min) 3:0, maximum 7:4 */
	cdata.sqes.min = 6;
	cdata.sqes.max = 6;
	cdata.cqes.min = 4;
	cdata.cqes.max = 4;
	CHECK_EQ_U(cb[512], 0x66);
	CHECK_EQ_U(cb[513], 0x44);
	/* ONCS: Compare 0, Write Uncorrectable 1, DSM 2, Write Zeroes 3,
	 * Save 4, Reservations 5, Timestamp 6, Verify 7, Copy 8 */
	cdata.oncs.dsm = 1;
	cdata.oncs.write_zeroes = 1;
	cdata.oncs.copy = 1;
	CHECK_EQ_U(word_at(&cdata, 520), (1u << 8) | (1u << 3) | (1u << 2));
	/* OACS: Security 0, Format 1, Firmware 2, NS management 3, Self-test 4,
	 * Directives 5, MI 6, Virtualization 7, Doorbell Buffer Config 8 */
	cdata.oacs.ns_manage = 1;
	cdata.oacs.doorbell_buffer_config = 1;
	CHECK_EQ_U(word_at(&cdata, 256), (1u << 8) | (1u << 3));
	/* VWC: Present 0, Flush broadcast 2:1 */
	cdata.vwc.present = 1;
	cdata.vwc.flush_broadcast = SPDK_NVME_FLUSH_BROADCAST_SUPPORTED;
	CHECK_EQ_U(cb[525], 0x07);
	/* SGLS: support 1:0, keyed 2, bit bucket 16, MPTR-SGL 19 */
	cdata.sgls.supported = SPDK_NVME_SGLS_SUPPORTED_DWORD_ALIGNED;
	cdata.sgls.keyed_sgl = 1;
	cdata.sgls.bit_bucket_descriptor = 1;
	cdata.sgls.metadata_address = 1;
	CHECK_EQ_U(dword_at(&cdata, 536), (1u << 19) | (1u << 16) | (1u << 2) | 2u);
	/* CMIC: multi-port 0, multi-controller 1, SR-IOV 2, ANA 3 */
	cdata.cmic.multi_ctrlr = 1;
	cdata.cmic.ana_reporting = 1;
	CHECK_EQ_U(cb[76], 0x0A);
	/* FRMW: slot 1 read-only 0, slots 3:1, activation without reset 4 */
	cdata.frmw.slot1_ro = 1;
	cdata.frmw.num_slots = 7;
	cdata.frmw.activation_without_reset = 1;
	CHECK_EQ_U(cb[260], 0x1F);
	/* LPA: per-namespace SMART 0, command effects 1, extended data 2 */
	cdata.lpa.celp = 1;
	cdata.lpa.edlp = 1;
	CHECK_EQ_U(cb[261], 0x06);
	/* OAES: namespace attribute 8, firmware activation 9, ANA change 11,
	 * discovery log change 31 */
	cdata.oaes.ns_attribute_notices = 1;
	cdata.oaes.ana_change_notices = 1;
	cdata.oaes.discovery_log_change_notices = 1;
	CHECK_EQ_U(dword_at(&cdata, 92), (1u << 31) | (1u << 11) | (1u << 8));
	/* CTRATT: host id 0, ELBAS 15, FDPS 19 */
	cdata.ctratt.bits.host_id_exhid_supported = 1;
	cdata.ctratt.bits.elbas = 1;
	cdata.ctratt.bits.fdps = 1;
	CHECK_EQ_U(dword_at(&cdata, 96), (1u << 19) | (1u << 15) | 1u);
	CHECK_EQ_U(cdata.ctratt.raw, (1u << 19) | (1u << 15) | 1u);
	/* ANACAP byte 343: optimized 0 ... non-zero ANAGRPID 7 */
	cdata.anacap.ana_optimized_state = 1;
	cdata.anacap.non_zero_anagrpid = 1;
	CHECK_EQ_U(cb[343], 0x81);
	/* FUSES: compare and write 0 */
	cdata.fuses.compare_and_write = 1;
	CHECK_EQ_U(word_at(&cdata, 522), 1);
	cdata.ver.raw = SPDK_NVME_VERSION(1, 3, 0);
	CHECK_EQ_U(dword_at(&cdata, 80), 0x00010300);
	cdata.nn = 0x400;
	CHECK_EQ_U(dword_at(&cdata, 516), 0x400);
	cdata.nvmf_specific.ioccsz = 4;
	cdata.nvmf_specific.msdbd = 16;
	CHECK_EQ_U(dword_at(&cdata, 1792), 4);
	CHECK_EQ_U(cb[1803], 16);
	/* power state 1: MPS 24, NOPS 25 in its first dword */
	cdata.psd[1].mp = 0x09C4;
	cdata.psd[1].nops = 1;
	CHECK_EQ_U(dword_at(&cdata, 2080), (1u << 25) | 0x09C4u);
	cdata.psd[1].ips = 2;
	CHECK_EQ_U(cb[2080 + 18], 2u << 6);
	cdata.psd[1].aps = 1;
	cdata.psd[1].apw = 5;
	CHECK_EQ_U(cb[2080 + 22], (1u << 6) | 5u);

	memset(&nsdata, 0, sizeof(nsdata));
	/* FLBAS byte 26: format 3:0, extended 4, format MSBs 6:5 */
	nsdata.flbas.format = 0xA;
	nsdata.flbas.extended = 1;
	nsdata.flbas.msb_format = 2;
	CHECK_EQ_U(nb[26], (2u << 5) | (1u << 4) | 0xAu);
	/* LBAF: MS 15:0, LBADS 23:16, RP 25:24 */
	nsdata.lbaf[2].ms = 8;
	nsdata.lbaf[2].lbads = 12;
	nsdata.lbaf[2].rp = 1;
	CHECK_EQ_U(dword_at(&nsdata, 128 + 2 * 4), (1u << 24) | (12u << 16) | 8u);
	/* NSFEAT byte 24: thin 0, NSABP 1, DAE 2, UIDREUSE 3, OPTPERF 4 */
	nsdata.nsfeat.thin_prov = 1;
	nsdata.nsfeat.optperf = 1;
	CHECK_EQ_U(nb[24], 0x11);
	/* DPS byte 29: PIT 2:0, first eight bytes 3 */
	nsdata.dps.pit = SPDK_NVME_FMT_NVM_PROTECTION_TYPE1;
	nsdata.dps.md_start = 1;
	CHECK_EQ_U(nb[29], 0x09);
	/* RESCAP byte 31: PTPL 0 ... IEKEY 7 */
	nsdata.nsrescap.rescap.persist = 1;
	nsdata.nsrescap.rescap.ignore_existing_key = 1;
	CHECK_EQ_U(nb[31], 0x81);
	CHECK_EQ_U(nsdata.nsrescap.raw, 0x81);
	/* DLFEAT byte 33: read value 2:0, write zeroes deallocate 3, guard 4 */
	nsdata.dlfeat.bits.read_value = SPDK_NVME_DEALLOC_READ_00;
	nsdata.dlfeat.bits.write_zero_deallocate = 1;
	CHECK_EQ_U(nb[33], 0x09);
	/* FPI byte 32: percentage 6:0, supported 7 */
	nsdata.fpi.fpi_supported = 1;
	nsdata.fpi.percentage_remaining = 50;
	CHECK_EQ_U(nb[32], 0x80 | 50);
	nsdata.noiob = 0x100;
	CHECK_EQ_U(word_at(&nsdata, 46), 0x100);
	nsdata.eui64 = 0x0102030405060708ull;
	CHECK_EQ_U(dword_at(&nsdata, 120), 0x05060708);
	nsdata.nguid[0] = 0xEE;
	CHECK_EQ_U(nb[104], 0xEE);
}

static void
test_features_and_events(void)
{
	union spdk_nvme_feat_async_event_configuration aec;
	union spdk_nvme_async_event_completion aer;
	union spdk_nvme_feat_arbitration arb;
	union spdk_nvme_feat_temperature_threshold tt;
	union spdk_nvme_feat_interrupt_coalescing ic;
	union spdk_nvme_feat_error_recovery er;
	union spdk_nvme_feat_power_management pm;
	union spdk_nvme_critical_warning_state cw;
	struct spdk_nvme_dsm_range range;
	struct spdk_nvme_firmware_page fw;
	struct spdk_nvme_health_information_page health;
	struct spdk_nvme_error_information_entry err;

	/* Asynchronous Event Configuration: critical warnings 7:0,
	 * namespace attribute 8, firmware activation 9, telemetry 10, ANA 11,
	 * discovery log change 31 */
	aec.raw = 0;
	aec.bits.crit_warn.bits.available_spare = 1;
	aec.bits.crit_warn.bits.volatile_memory_backup = 1;
	CHECK_EQ_U(aec.raw, 0x11);
	aec.raw = 0;
	aec.bits.ns_attr_notice = 1;
	aec.bits.ana_change_notice = 1;
	aec.bits.discovery_log_change_notice = 1;
	CHECK_EQ_U(aec.raw, (1u << 31) | (1u << 11) | (1u << 8));
	aec.raw = 0;
	aec.bits.fw_activation_notice = 1;
	aec.bits.telemetry_log_notice = 1;
	CHECK_EQ_U(aec.raw, (1u << 10) | (1u << 9));

	/* AER completion dword 0: type 2:0, info 15:8, log page 23:16 */
	aer.raw = 0x00030302;
	CHECK_EQ_U(aer.bits.async_event_type, SPDK_NVME_ASYNC_EVENT_TYPE_NOTICE);
	CHECK_EQ_U(aer.bits.async_event_info, SPDK_NVME_ASYNC_EVENT_ANA_CHANGE);
	CHECK_EQ_U(aer.bits.log_page_identifier, 0x03);
	aer.raw = 0;
	aer.bits.async_event_type = SPDK_NVME_ASYNC_EVENT_TYPE_IO;
	aer.bits.async_event_info = SPDK_NVME_ASYNC_EVENT_RESERVATION_LOG_AVAIL;
	aer.bits.log_page_identifier = SPDK_NVME_LOG_RESERVATION_NOTIFICATION;
	CHECK_EQ_U(aer.raw, 0x00800006);

	/* Arbitration: AB 2:0, LPW 15:8, MPW 23:16, HPW 31:24 */
	arb.raw = 0;
	arb.bits.ab = SPDK_NVME_ARBITRATION_BURST_UNLIMITED;
	arb.bits.lpw = 1;
	arb.bits.mpw = 2;
	arb.bits.hpw = 3;
	CHECK_EQ_U(arb.raw, 0x03020107);

	/* Temperature threshold: TMPTH 15:0, TMPSEL 19:16, THSEL 21:20 */
	tt.raw = 0;
	tt.bits.tmpth = 343;
	tt.bits.tmpsel = 0xF;
	tt.bits.thsel = 1;
	CHECK_EQ_U(tt.raw, (1u << 20) | (0xFu << 16) | 343u);

	/* Interrupt coalescing: THR 7:0, TIME 15:8 */
	ic.raw = 0;
	ic.bits.thr = 0x10;
	ic.bits.time = 0x20;
	CHECK_EQ_U(ic.raw, 0x2010);

	/* Error recovery: TLER 15:0, DULBE 16 */
	er.raw = 0;
	er.bits.dulbe = 1;
	CHECK_EQ_U(er.raw, 1u << 16);

	/* Power management: PS 4:0, WH 7:5 */
	pm.raw = 0;
	pm.bits.ps = 3;
	pm.bits.wh = 2;
	CHECK_EQ_U(pm.raw, (2u << 5) | 3u);

	/* Critical warning bits */
	cw.raw = 0;
	cw.bits.read_only = 1;
	CHECK_EQ_U(cw.raw, 0x08);

	/* DSM range: context attributes (AF 3:0, AL 5:4, SR 8, SW 9, WP 10,
	 * access size 31:24), length, starting LBA */
	memset(&range, 0, sizeof(range));
	range.attributes.bits.af = 5;
	range.attributes.bits.al = 2;
	range.attributes.bits.wp = 1;
	range.attributes.bits.access_size = 0x80;
	range.length = 8;
	range.starting_lba = 0x100000000ull;
	CHECK_EQ_U(range.attributes.raw, (0x80u << 24) | (1u << 10) | (2u << 4) | 5u);
	CHECK_EQ_U(dword_at(&range, 4), 8);
	CHECK_EQ_U(dword_at(&range, 12), 1);

	/* Firmware slot page AFI: active 2:0, next reset 6:4 */
	memset(&fw, 0, sizeof(fw));
	fw.afi.active_slot = 2;
	fw.afi.next_reset_slot = 3;
	CHECK_EQ_U(((const uint8_t *)&fw)[0], 0x32);
	fw.revision[1][0] = 'X';
	CHECK_EQ_U(((const uint8_t *)&fw)[16], 'X');

	/* Health page: the packed temperature sits at byte 1 */
	memset(&health, 0, sizeof(health));
	health.critical_warning.bits.temperature = 1;
	health.temperature = 0x0141;
	health.percentage_used = 7;
	CHECK_EQ_U(((const uint8_t *)&health)[0], 0x02);
	CHECK_EQ_U(word_at(&health, 1), 0x0141);
	CHECK_EQ_U(((const uint8_t *)&health)[5], 7);
	health.power_on_hours[0] = 1234;
	CHECK_EQ_U(dword_at(&health, 128), 1234);

	/* Error log entry status field is a status word without the phase tag */
	memset(&err, 0, sizeof(err));
	err.status.sc = SPDK_NVME_SC_INVALID_FIELD;
	err.status.dnr = 1;
	CHECK_EQ_U(word_at(&err, 12), (1u << 15) | (2u << 1));
}

static void
test_data_transfer(void)
{
	CHECK_EQ_U(spdk_nvme_opc_get_data_transfer(SPDK_NVME_OPC_FLUSH), SPDK_NVME_DATA_NONE);
	CHECK_EQ_U(spdk_nvme_opc_get_data_transfer(SPDK_NVME_OPC_WRITE),
		   SPDK_NVME_DATA_HOST_TO_CONTROLLER);
	CHECK_EQ_U(spdk_nvme_opc_get_data_transfer(SPDK_NVME_OPC_READ),
		   SPDK_NVME_DATA_CONTROLLER_TO_HOST);
	CHECK_EQ_U(spdk_nvme_opc_get_data_transfer(SPDK_NVME_OPC_IDENTIFY),
		   SPDK_NVME_DATA_CONTROLLER_TO_HOST);
	CHECK_EQ_U(spdk_nvme_opc_get_data_transfer(SPDK_NVME_OPC_SET_FEATURES),
		   SPDK_NVME_DATA_HOST_TO_CONTROLLER);
	CHECK_EQ_U(spdk_nvme_opc_get_data_transfer(SPDK_NVME_OPC_GET_LOG_PAGE),
		   SPDK_NVME_DATA_CONTROLLER_TO_HOST);
	CHECK_EQ_U(spdk_nvme_opc_get_data_transfer(SPDK_NVME_OPC_DATASET_MANAGEMENT),
		   SPDK_NVME_DATA_HOST_TO_CONTROLLER);
	CHECK_EQ_U(spdk_nvme_opc_get_data_transfer(SPDK_NVME_OPC_WRITE_ZEROES),
		   SPDK_NVME_DATA_NONE);
	CHECK_EQ_U(spdk_nvme_opc_get_data_transfer(0x83), SPDK_NVME_DATA_BIDIRECTIONAL);
	CHECK_EQ_U(spdk_nvme_bytes_to_numd(4096), 1023);
	CHECK_EQ_U(spdk_nvme_bytes_to_numd(4), 0);
	CHECK(spdk_nvme_log_page_is_vendor_specific(0xC0));
	CHECK(!spdk_nvme_log_page_is_vendor_specific(SPDK_NVME_LOG_SANITIZE_STATUS));
}

int
main(void)
{
	test_host_is_little_endian();
	test_status();
	test_cpl_macros();
	test_registers();
	test_cmd();
	test_sgl();
	test_identify();
	test_features_and_events();
	test_data_transfer();
	return CHECK_DONE("nvme_spec");
}
