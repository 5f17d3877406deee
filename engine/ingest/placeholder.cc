// Placeholder until the module lands.
namespace cairn::ingest { int ModulePlaceholder() { return 0; } }  // namespace cairn::ingest
