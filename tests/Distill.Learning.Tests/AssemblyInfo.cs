// Narrow models run some convolutions on LibTorch's native kernels by switching oneDNN off process-wide
// for the length of the call (docs/platform-defects.md). A test beside them would see its own convolutions
// move between kernels and lose bit-for-bit reproducibility, so these tests run one at a time, as a
// training process does.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
