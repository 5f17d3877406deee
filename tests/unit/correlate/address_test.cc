#include <gtest/gtest.h>

#include "engine/correlate/address.h"

namespace cairn::correlate {
namespace {

TEST(ClassifyAddressTest, PublicAddressesAreLocations) {
  EXPECT_EQ(ClassifyAddress("81.2.69.142"), AddressKind::kPublic);
  EXPECT_EQ(ClassifyAddress("216.160.83.56"), AddressKind::kPublic);
  EXPECT_EQ(ClassifyAddress("203.0.113.9"), AddressKind::kPublic);  // documentation, still global
  EXPECT_EQ(ClassifyAddress("2001:480::1"), AddressKind::kPublic);
  EXPECT_EQ(ClassifyAddress("::ffff:81.2.69.142"), AddressKind::kPublic);
  EXPECT_TRUE(IsLocatable("89.160.20.112"));
}

TEST(ClassifyAddressTest, PrivateAndReservedAddressesAreNotLocations) {
  for (const char* ip : {"10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "127.0.0.1",
                         "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255",
                         "::1", "::", "fd00::1", "fe80::1", "ff02::1", "::ffff:10.0.0.1"}) {
    EXPECT_EQ(ClassifyAddress(ip), AddressKind::kPrivate) << ip;
  }
  EXPECT_EQ(ClassifyAddress("172.32.0.1"), AddressKind::kPublic);
  EXPECT_EQ(ClassifyAddress("100.128.0.1"), AddressKind::kPublic);
}

TEST(ClassifyAddressTest, ServiceNamesAndGarbageAreNotAddresses) {
  for (const char* text : {"s3.amazonaws.com", "AWS Internal", "-", "", "1.2.3", "1.2.3.256",
                           "fe80::1%eth0", "not an ip", "1.2.3.4 "}) {
    EXPECT_EQ(ClassifyAddress(text), AddressKind::kNotAnAddress) << text;
  }
}

TEST(DefaultNetworkOfTest, IsTheSlash24OrSlash48) {
  EXPECT_EQ(DefaultNetworkOf("81.2.69.142"), "81.2.69.0/24");
  EXPECT_EQ(DefaultNetworkOf("2001:db8:1234:5678::1"), "2001:db8:1234::/48");
  EXPECT_EQ(DefaultNetworkOf("s3.amazonaws.com"), "");
}

}  // namespace
}  // namespace cairn::correlate
