/* spdk/nvmf.h: a discovery referral (spdk_nvmf_tgt_add_referral). Not packed. */
struct spdk_nvmf_referral_opts {
	/* sizeof(struct spdk_nvmf_referral_opts) as the caller was built with */
	size_t size;
	/* where the referral points; an empty subnqn means the discovery NQN */
	struct spdk_nvme_transport_id trid;
	/* the referred service wants a secure channel (TLS: refused by rspdk) */
	bool secure_channel;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvmf_referral_opts) == 576, "Incorrect size");
