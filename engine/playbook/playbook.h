#pragma once
// Playbooks: declarative investigations (docs/playbooks.md). A playbook is YAML with named inputs,
// steps (a query, a correlator or a graph walk) whose outputs bind to variables, signals that weigh
// for a verdict, findings with evidence, verdict rules and recommended actions.
//
// This header holds the loaded, validated model and the loader. Loading never runs anything.

#include <map>
#include <string>
#include <vector>

#include "engine/common/result.h"

namespace cairn::playbook {

struct Input {
  std::string name;
  std::string description;
  std::string default_value;  // YAML scalar text; typed when bound (number/bool/string)
  int line = 0;
};

enum class StepKind { kQuery, kCorrelator, kGraph };
const char* StepKindName(StepKind kind);

struct Step {
  std::string id;                           // variable name bound to the step's output
  StepKind kind = StepKind::kQuery;
  std::string description;
  std::string query;                        // kQuery: query text with ${...} templates
  std::string name;                         // kCorrelator: correlator name; kGraph: walk name
  std::map<std::string, std::string> with;  // arguments: templates / ${expressions}
  std::string when;                         // expression; empty = always run
  int line = 0;
};

// A named boolean fact that weighs for one verdict ("new location for this principal").
struct Signal {
  std::string id;
  std::string when;      // expression
  std::string supports;  // "malicious" or "operational"
  double weight = 1.0;
  std::string sentence;  // template, shown as evidence for/against
  std::string evidence;  // expression giving a list of evidence items (optional)
  int line = 0;
};

struct Finding {
  std::string id;
  std::string severity;  // info, low, medium, high, critical
  std::string title;     // template
  std::string sentence;  // template
  std::string evidence;  // expression giving a list of evidence items
  std::string when;      // expression; empty = always
  std::vector<std::string> steps;  // ids of the steps that produced it
  int line = 0;
};

struct VerdictRule {
  std::string verdict;     // malicious | operational | inconclusive
  std::string when;        // expression
  std::string confidence;  // expression or number in [0,1]
  int line = 0;
};

struct Action {
  std::string text;  // template
  std::string when;  // expression; empty = always
  int line = 0;
};

struct Playbook {
  std::string name;
  std::string title;
  std::string description;
  std::string source;  // file path
  std::vector<Input> inputs;
  std::vector<Step> steps;
  std::vector<Signal> signals;
  std::vector<Finding> findings;
  std::vector<VerdictRule> verdict_rules;
  std::string default_verdict = "inconclusive";
  std::string default_confidence = "0.3";
  std::map<std::string, std::string> entities;  // name -> expression
  std::vector<Action> actions;
};

// Parses and validates playbook text. Errors (kParse/kSchema) carry the file, line, column and a
// hint: unknown keys (with "did you mean"), missing required keys, unknown step kinds, duplicate
// ids, references to undefined inputs or steps, malformed expressions.
Result<Playbook> ParsePlaybook(const std::string& text, const std::string& source_name);
// Reads and parses a file (kNotFound when missing).
Result<Playbook> LoadPlaybookFile(const std::string& path);

// Playbooks shipped with Cairn: the *.yaml files of the playbooks/ directory found beside the
// source tree or the installed binary. Returns name -> path, sorted by name.
std::map<std::string, std::string> FindPlaybooks(const std::vector<std::string>& search_dirs);

}  // namespace cairn::playbook
