// Placeholder until the module lands.
namespace cairn::graph { int ModulePlaceholder() { return 0; } }  // namespace cairn::graph
