namespace Granary.Grains.Hosting;

/// <summary>Whether this silo is the head: known before anything starts, so the head's placement needs no lookup.</summary>
internal sealed record GranarySiloRole(bool IsHead);
