/*
 * spdk/bdev_module.h: the zero-copy flags of a block I/O
 * (bdev_io->u.bdev.zcopy). SPDK declares them as an unnamed struct of three
 * one-bit fields inside struct spdk_bdev_io_block_params; here the struct
 * has a tag so the generated block parameters can name it. Same byte, same
 * bits: populate is bit 0, commit bit 1, start bit 2.
 */
struct spdk_bdev_io_block_params_zcopy {
	/* Start phase: fill the buffers with the blocks' data. */
	__extension__ uint8_t populate : 1;
	/* End phase: write the buffers back to the blocks. */
	__extension__ uint8_t commit : 1;
	/* Set for the start phase, clear for the end phase. */
	__extension__ uint8_t start : 1;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_bdev_io_block_params_zcopy) == 1, "zcopy flags: one byte");
