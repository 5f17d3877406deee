// Placeholder until the module lands.
namespace cairn::correlate { int ModulePlaceholder() { return 0; } }  // namespace cairn::correlate
