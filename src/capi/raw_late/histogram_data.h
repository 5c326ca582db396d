/*
 * spdk/histogram_data.h: SPDK keeps the whole histogram library as macros
 * and static inline functions over struct spdk_histogram_data (generated
 * above from src/util/histogram.rs). These bucket values exactly as the
 * Rust side does, so histograms filled by the bdev layer and by the
 * application merge and iterate alike.
 */
#ifdef __cplusplus
extern "C" {
#endif

#define SPDK_HISTOGRAM_GRANULARITY(h)		((h)->granularity)
#define SPDK_HISTOGRAM_BUCKET_LSB(h)		(64 - SPDK_HISTOGRAM_GRANULARITY(h))
#define SPDK_HISTOGRAM_NUM_BUCKETS_PER_RANGE(h)	(1ULL << SPDK_HISTOGRAM_GRANULARITY(h))
#define SPDK_HISTOGRAM_BUCKET_MASK(h)		(SPDK_HISTOGRAM_NUM_BUCKETS_PER_RANGE(h) - 1)
#define SPDK_HISTOGRAM_NUM_BUCKET_RANGES(h)	((h)->max_range - (h)->min_range + 1)
#define SPDK_HISTOGRAM_NUM_BUCKETS(h)		(SPDK_HISTOGRAM_NUM_BUCKETS_PER_RANGE(h) * \
						 SPDK_HISTOGRAM_NUM_BUCKET_RANGES(h))

typedef void (*spdk_histogram_data_fn)(void *ctx, uint64_t start, uint64_t end, uint64_t count,
				       uint64_t total, uint64_t so_far);

static inline uint64_t *
__spdk_histogram_get_bucket(const struct spdk_histogram_data *h, uint32_t range, uint32_t index)
{
	uint64_t slot = ((uint64_t)(range - h->min_range) << h->granularity) + index;

	return h->bucket + slot;
}

static inline void
__spdk_histogram_increment(struct spdk_histogram_data *h, uint32_t range, uint32_t index)
{
	*__spdk_histogram_get_bucket(h, range, index) += 1;
}

static inline uint64_t
__spdk_histogram_get_count(const struct spdk_histogram_data *h, uint32_t range, uint32_t index)
{
	return *__spdk_histogram_get_bucket(h, range, index);
}

static inline void
spdk_histogram_data_reset(struct spdk_histogram_data *histogram)
{
	memset(histogram->bucket, 0, SPDK_HISTOGRAM_NUM_BUCKETS(histogram) * sizeof(uint64_t));
}

static inline uint32_t
__spdk_histogram_data_get_bucket_range(struct spdk_histogram_data *h, uint64_t datapoint)
{
	uint32_t lsb = SPDK_HISTOGRAM_BUCKET_LSB(h);
	uint32_t lz = datapoint == 0 ? 64 : (uint32_t)__builtin_clzll(datapoint);

	return lz > lsb ? 0 : lsb - lz;
}

static inline uint32_t
__spdk_histogram_data_get_bucket_index(struct spdk_histogram_data *h, uint64_t datapoint,
				       uint32_t range)
{
	uint32_t shift = range == 0 ? 0 : range - 1;

	return (uint32_t)((datapoint >> shift) & SPDK_HISTOGRAM_BUCKET_MASK(h));
}

static inline void
spdk_histogram_data_tally(struct spdk_histogram_data *histogram, uint64_t datapoint)
{
	uint32_t range = __spdk_histogram_data_get_bucket_range(histogram, datapoint);
	uint32_t index;

	if (range < histogram->min_range) {
		range = histogram->min_range;
		index = 0;
	} else if (range > histogram->max_range) {
		range = histogram->max_range;
		index = (uint32_t)SPDK_HISTOGRAM_BUCKET_MASK(histogram);
	} else {
		index = __spdk_histogram_data_get_bucket_index(histogram, datapoint, range);
	}
	__spdk_histogram_increment(histogram, range, index);
}

/* The first value past bucket (range, index). */
static inline uint64_t
__spdk_histogram_data_get_bucket_start(const struct spdk_histogram_data *h, uint32_t range,
				       uint32_t index)
{
	uint64_t next = (uint64_t)index + 1;

	if (range == 0) {
		return next;
	}
	return (1ULL << (range + h->granularity - 1)) + (next << (range - 1));
}

static inline void
spdk_histogram_data_iterate(const struct spdk_histogram_data *histogram,
			    spdk_histogram_data_fn fn, void *ctx)
{
	uint64_t total = 0, so_far = 0, start, end = 0, count;
	uint32_t r;
	uint64_t i;

	for (i = 0; i < SPDK_HISTOGRAM_NUM_BUCKETS(histogram); i++) {
		total += histogram->bucket[i];
	}
	for (r = histogram->min_range; r <= histogram->max_range; r++) {
		for (i = 0; i < SPDK_HISTOGRAM_NUM_BUCKETS_PER_RANGE(histogram); i++) {
			count = __spdk_histogram_get_count(histogram, r, (uint32_t)i);
			so_far += count;
			start = end;
			end = __spdk_histogram_data_get_bucket_start(histogram, r, (uint32_t)i);
			fn(ctx, start, end, count, total, so_far);
		}
	}
}

static inline int
spdk_histogram_data_merge(const struct spdk_histogram_data *dst,
			  const struct spdk_histogram_data *src)
{
	uint64_t i;

	if (dst->granularity != src->granularity || dst->min_range != src->min_range ||
	    dst->max_range != src->max_range) {
		return -EINVAL;
	}
	for (i = 0; i < SPDK_HISTOGRAM_NUM_BUCKETS(dst); i++) {
		dst->bucket[i] += src->bucket[i];
	}
	return 0;
}

static inline struct spdk_histogram_data *
spdk_histogram_data_alloc_sized_ext(uint32_t granularity, uint64_t min_val, uint64_t max_val)
{
	struct spdk_histogram_data *h;

	if (min_val >= max_val) {
		return NULL;
	}
	h = (struct spdk_histogram_data *)calloc(1, sizeof(*h));
	if (h == NULL) {
		return NULL;
	}
	h->granularity = granularity;
	h->min_range = __spdk_histogram_data_get_bucket_range(h, min_val);
	h->max_range = __spdk_histogram_data_get_bucket_range(h, max_val - 1);
	h->bucket = (uint64_t *)calloc(SPDK_HISTOGRAM_NUM_BUCKETS(h), sizeof(uint64_t));
	if (h->bucket == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

static inline struct spdk_histogram_data *
spdk_histogram_data_alloc_sized(uint32_t granularity)
{
	return spdk_histogram_data_alloc_sized_ext(granularity, 0, UINT64_MAX);
}

static inline struct spdk_histogram_data *
spdk_histogram_data_alloc(void)
{
	return spdk_histogram_data_alloc_sized(SPDK_HISTOGRAM_GRANULARITY_DEFAULT);
}

static inline void
spdk_histogram_data_free(struct spdk_histogram_data *h)
{
	if (h != NULL) {
		free(h->bucket);
		free(h);
	}
}

#ifdef __cplusplus
}
#endif
