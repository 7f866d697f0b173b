namespace Granary;

/// <summary>
/// <see cref="ClientOptions.Secrets"/>: a plain dictionary whose ToString and debugger view name the keys
/// only, so printing or logging the options never shows a secret's value. Not thread-safe.
/// </summary>
[System.Diagnostics.DebuggerDisplay("{ToString(),nq}")]
[System.Diagnostics.DebuggerTypeProxy(typeof(SecretDictionary.KeysOnly))]
internal sealed class SecretDictionary : Dictionary<string, string>
{
    public SecretDictionary()
        : base(StringComparer.Ordinal)
    {
    }

    public override string ToString() => $"Secrets ({Count}): {string.Join(", ", Keys)} (values hidden)";

    private sealed class KeysOnly(SecretDictionary secrets)
    {
        public IReadOnlyCollection<string> Keys => secrets.Keys;
    }
}
