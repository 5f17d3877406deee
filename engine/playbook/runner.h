#pragma once
// Runs a loaded playbook against a Backend (the case, the query engine, the correlators and the
// graph, as wired by the CLI) and produces the run record (docs/playbooks.md, "Run record").
#include <functional>
#include <map>
#include <string>

#include "engine/common/result.h"
#include "engine/playbook/expr.h"
#include "engine/playbook/playbook.h"

namespace cairn::playbook {

// What steps run against. Each call returns the step's output as JSON (the variable bound to the
// step id). Errors are recorded in the run and the step's output is null.
class Backend {
 public:
  virtual ~Backend() = default;
  // Output: {"columns": [...], "rows": [{col: value, ...}], "notices": [...], "count": n}.
  virtual Result<Json> RunQuery(const std::string& query, const Json& args) = 0;
  virtual Result<Json> RunCorrelator(const std::string& name, const Json& args) = 0;
  virtual Result<Json> RunGraph(const std::string& walk, const Json& args) = 0;
  // {"path": ..., "content_hash": ..., "first_event": ms, "last_event": ms, ...}; bound to `case`.
  virtual Json CaseInfo() = 0;
};

struct RunOptions {
  std::map<std::string, std::string> overrides;  // --set key=value
  Json window = Json::object();                  // {"from": ms, "to": ms} when given; bound to `window`
  std::function<int64_t()> now_ms;               // monotonic clock for step timings (may be empty)
};

// Runs every step in order (skipping those whose `when` is false), evaluates signals, findings,
// the verdict, entities and actions. Errors: kInvalidArgument for an override naming no input.
// Step failures do not abort the run: they are recorded in the step and in `errors`.
Result<Json> RunPlaybook(const Playbook& playbook, Backend& backend, const RunOptions& options);

// The readable terminal summary of a run record (plain text; the CLI adds colour).
std::string SummarizeRun(const Json& record);

}  // namespace cairn::playbook
