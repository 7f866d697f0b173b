using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Granary.Runtime.Code;

/// <summary>
/// A silo's content-addressed store of assembly bytes, keyed by SHA-256. Identical assemblies from many
/// clients are kept once. Thread-safe.
/// </summary>
internal sealed class AssemblyBlobCache
{
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);

    public int Count => _blobs.Count;

    public static string Hash(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));

    public bool Contains(string hash) => _blobs.ContainsKey(hash);

    public bool TryGet(string hash, out byte[] content) => _blobs.TryGetValue(hash, out content!);

    /// <summary>Stores bytes after checking they hash to the name they were sent under.</summary>
    public void Add(string hash, byte[] content)
    {
        var actual = Hash(content);
        if (!string.Equals(actual, hash, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"assembly upload claimed hash {hash} but its bytes hash to {actual}");
        }

        _blobs.TryAdd(hash, content);
    }
}
