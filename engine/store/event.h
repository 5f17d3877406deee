#pragma once
// The one normalized event of Cairn (docs/schema.md). Every parser produces these; the case store
// keeps them as rows of the `events` table with the raw text beside the typed columns.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/common/time.h"

namespace cairn::store {

enum class SourceType {
  kCloudTrail,    // one CloudTrail record (any envelope)
  kS3Access,      // one S3 server access log line
  kApacheAccess,  // one Apache access log line (common, combined, vhost_combined, custom)
  kApacheError,   // one Apache error log record (2.2 or 2.4; may span lines)
  kGeneric,       // any other line with a recognisable timestamp (syslog, ISO-8601, ...)
};

// Stable lower-case names: "cloudtrail", "s3_access", "apache_access", "apache_error", "generic".
// They are also the default _sourceCategory of each format.
const char* SourceTypeName(SourceType type);
// Inverse of SourceTypeName; false when the name is unknown.
bool SourceTypeFromName(std::string_view name, SourceType* out);

// Field mapping per source (the contract between parsers, graph, correlators and queries):
//  CloudTrail: actor_arn=userIdentity.arn; actor_type=userIdentity.type; actor_name=userIdentity.userName,
//    else sessionContext.sessionIssuer.userName (role), "root" for Root, invokedBy for AWSService;
//    access_key=userIdentity.accessKeyId; action=eventName; bucket/object_key=requestParameters
//    .bucketName/.key; outcome=failure iff errorCode; error_code=errorCode; source_ip=sourceIPAddress
//    (may be a service name); region=awsRegion; account=recipientAccountId (else userIdentity.accountId);
//    request_id=requestID; event_id=eventID; dedupe=hash of the compact record.
//  S3 access: account=bucket owner; bucket; actor_arn=requester (if an ARN; actor_name its last
//    path part; actor_type "Anonymous" for "-"); source_ip=remote IP; request_id; action=operation
//    (REST.PUT.OBJECT); object_key=key; status; error_code; bytes=bytes sent; user_agent;
//    outcome=failure iff status>=400.
//  Apache access: source_ip=client; actor_name=authenticated user; action=method; object_key=path;
//    status; bytes; user_agent; host=virtual host if logged; outcome=failure iff status>=500.
//  Apache error: error_code=AHnnnnn code if any; action=module:level (or level); source_ip=client.
//
// A normalized event. Empty strings mean "absent" (stored as NULL); status 0 and bytes -1 too.
struct Event {
  TimeMs time = 0;             // UTC epoch milliseconds
  SourceType source_type = SourceType::kGeneric;
  int64_t line = 0;            // 1-based line of the source file (or record index in a JSON file)
  std::string raw;             // the exact line, or the compact JSON of the CloudTrail record

  std::string actor_arn;       // principal ARN (CloudTrail userIdentity.arn, S3 requester)
  std::string actor_type;      // IAMUser, AssumedRole, Root, AWSService, Anonymous, ...
  std::string actor_name;      // user name (or role/session name), Apache authenticated user
  std::string access_key;      // access key id used
  std::string action;          // CloudTrail eventName, S3 operation, HTTP method
  std::string bucket;          // S3 bucket
  std::string object_key;      // S3 object key or HTTP request path
  std::string resource;        // other target: for IAM *AccessKey events the access key id acted on
                               // (requestParameters.accessKeyId, or the created key's id);
                               // else the main requestParameters name (roleName, policyArn, ...)
  std::string target_user;     // IAM user acted on (requestParameters.userName); for *AccessKey
                               // calls without userName, the caller's own user name
  std::string outcome;         // "success" or "failure"
  int status = 0;              // HTTP status; 0 = none
  std::string error_code;      // CloudTrail errorCode, S3 error code, Apache AH code / level
  std::string source_ip;       // client address, or AWS service name for CloudTrail
  std::string user_agent;
  std::string region;
  std::string account;         // account id (recipient or owner)
  std::string request_id;
  int64_t bytes = -1;          // bytes sent; -1 = none
  std::string event_id;        // CloudTrail eventID
  std::string host;            // web server / virtual host that served the request, if known
  uint64_t dedupe = 0;         // content hash for cross-file dedupe (CloudTrail); 0 = none
};

// A line or record that could not be parsed. Kept in the case, never silently dropped.
struct Reject {
  int64_t line = 0;        // 1-based line; 0 when not line-based
  int64_t offset = -1;     // byte offset in the (decompressed) source
  std::string reason;      // "expected at least 18 fields, got 4"
  std::string raw;         // the offending text (truncated to 64 KiB)
};

}  // namespace cairn::store
