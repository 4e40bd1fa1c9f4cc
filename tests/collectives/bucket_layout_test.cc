#include "distributed/collectives/bucket_layout.h"

#include <cstdint>

#include <gtest/gtest.h>

#include "common/error.h"

namespace deeper {
namespace {

constexpr int kF32 = 6;
constexpr int kBF16 = 15;

std::vector<TensorSpec> Specs() {
  return {{kF32, 4, {10, 10}}, {kBF16, 2, {8}}, {kF32, 4, {5}}, {kF32, 4, {300}}, {kBF16, 2, {4, 4}}};
}

std::vector<size_t> TensorsOf(const Bucket& bucket) {
  std::vector<size_t> out;
  for (const BucketSlot& slot : bucket.slots) out.push_back(slot.tensor);
  return out;
}

TEST(PlanBuckets, GroupsByDtypeInOrderOfFirstAppearance) {
  const std::vector<Bucket> buckets = PlanBuckets(Specs(), 1 << 20);
  ASSERT_EQ(buckets.size(), 2u);
  EXPECT_EQ(buckets[0].dtype, kF32);
  EXPECT_EQ(TensorsOf(buckets[0]), (std::vector<size_t>{0, 2, 3}));
  EXPECT_EQ(buckets[0].numel, 405);
  EXPECT_EQ(buckets[0].slots[1].offset, 100);
  EXPECT_EQ(buckets[0].slots[2].offset, 105);
  EXPECT_EQ(buckets[1].dtype, kBF16);
  EXPECT_EQ(TensorsOf(buckets[1]), (std::vector<size_t>{1, 4}));
  EXPECT_EQ(buckets[1].bytes(), 48);
}

TEST(PlanBuckets, ClosesABucketBeforeItOverflows) {
  // 400 + 20 bytes fit in 420; the 1200-byte tensor gets a bucket of its own.
  const std::vector<Bucket> buckets = PlanBuckets(Specs(), 420);
  ASSERT_EQ(buckets.size(), 3u);
  EXPECT_EQ(TensorsOf(buckets[0]), (std::vector<size_t>{0, 2}));
  EXPECT_EQ(TensorsOf(buckets[1]), (std::vector<size_t>{3}));
  EXPECT_EQ(TensorsOf(buckets[2]), (std::vector<size_t>{1, 4}));
}

TEST(PlanBuckets, OneTensorPerBucketWhenBucketsAreTiny) {
  const std::vector<Bucket> buckets = PlanBuckets(Specs(), 1);
  EXPECT_EQ(buckets.size(), Specs().size());
  for (const Bucket& b : buckets) EXPECT_EQ(b.slots.size(), 1u);
}

TEST(PlanBuckets, RefusesANonPositiveSize) { EXPECT_THROW(PlanBuckets(Specs(), 0), Error); }

TEST(LayoutSignature, DependsOnShapesDtypesOrderAndBucketSize) {
  const uint64_t base = LayoutSignature(Specs(), 1000);
  EXPECT_EQ(base, LayoutSignature(Specs(), 1000));
  EXPECT_NE(base, LayoutSignature(Specs(), 1001));
  std::vector<TensorSpec> reshaped = Specs();
  reshaped[0].shape = {100};
  EXPECT_NE(base, LayoutSignature(reshaped, 1000));
  std::vector<TensorSpec> swapped = Specs();
  std::swap(swapped[0], swapped[2]);
  EXPECT_NE(base, LayoutSignature(swapped, 1000));
  std::vector<TensorSpec> retyped = Specs();
  retyped[1].dtype = kF32;
  EXPECT_NE(base, LayoutSignature(retyped, 1000));
}

}  // namespace
}  // namespace deeper
