#pragma once
// The playbook Backend of the CLI: runs queries (engine/query), correlators (correlators/) and
// graph walks over one case. Step argument conventions are documented in docs/playbooks.md.
#include <memory>
#include <string>

#include "engine/common/time.h"
#include "engine/playbook/runner.h"
#include "engine/store/case_store.h"

namespace cairn::geo {
class GeoDb;
}
namespace cairn::graph {
class EntityGraph;
}

namespace cairn::cli {

class CaseBackend : public playbook::Backend {
 public:
  // store: borrowed for the backend's life. geo: may be null (locations then unknown).
  CaseBackend(store::CaseStore& store, const geo::GeoDb* geo, std::string geo_db_path,
              std::optional<TimeMs> from, std::optional<TimeMs> to);
  ~CaseBackend() override;

  Result<playbook::Json> RunQuery(const std::string& query, const playbook::Json& args) override;
  Result<playbook::Json> RunCorrelator(const std::string& name, const playbook::Json& args) override;
  Result<playbook::Json> RunGraph(const std::string& walk, const playbook::Json& args) override;
  playbook::Json CaseInfo() override;

 private:
  store::CaseStore& store_;
  const geo::GeoDb* geo_;
  std::string geo_db_path_;
  std::optional<TimeMs> from_;
  std::optional<TimeMs> to_;
  std::unique_ptr<graph::EntityGraph> graph_;  // loaded by the first walk

  // The entity graph of the case, loaded once. Errors: kIo.
  Result<const graph::EntityGraph*> Graph();
};

// Opens a case for reading with its entity graph brought up to date first (deriving the
// relations of newly ingested events needs write access: a case that cannot be written is
// opened as it is, with a warning).
Result<std::unique_ptr<store::CaseStore>> OpenCaseWithGraph(const std::string& path);

// Names of the correlators a playbook step can call, with one-line descriptions.
std::vector<std::pair<std::string, std::string>> PlaybookCorrelators();

}  // namespace cairn::cli
