#include "tvmffi/proto/secret.h"

#include <gtest/gtest.h>

#include <string>

namespace tvmffi::rpc {
namespace {

TEST(SameSecret, EqualOnlyWhenEveryByteAndTheLengthAgree) {
  const std::string ticket = std::string("\0\x01secret", 8) + std::string(24, '\xff');
  EXPECT_TRUE(SameSecret(ticket, ticket));
  EXPECT_TRUE(SameSecret("", ""));
  std::string last = ticket;
  last.back() = '\xfe';
  EXPECT_FALSE(SameSecret(ticket, last));
  std::string first = ticket;
  first.front() = '\x01';
  EXPECT_FALSE(SameSecret(ticket, first));
  EXPECT_FALSE(SameSecret(ticket, ticket.substr(0, ticket.size() - 1)));
  EXPECT_FALSE(SameSecret(ticket, ticket + '\0'));  // a prefix is not the secret
  EXPECT_FALSE(SameSecret("", "x"));
}

}  // namespace
}  // namespace tvmffi::rpc
