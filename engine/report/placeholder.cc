// Placeholder until the module lands.
namespace cairn::report { int ModulePlaceholder() { return 0; } }  // namespace cairn::report
