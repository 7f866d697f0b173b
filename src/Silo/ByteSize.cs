using System.Globalization;

namespace Granary.Silo;

/// <summary>Parses sizes such as 512MB, 32GB, 80GiB or a plain byte count.</summary>
internal static class ByteSize
{
    public static long Parse(string text)
    {
        var trimmed = text.Trim();
        var split = 0;
        while (split < trimmed.Length && (char.IsDigit(trimmed[split]) || trimmed[split] == '.'))
        {
            split++;
        }

        if (split == 0 || !double.TryParse(trimmed[..split], NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            throw new FormatException($"'{text}' is not a size; use e.g. 512MB, 32GB or 80GiB");
        }

        var multiplier = trimmed[split..].Trim().ToUpperInvariant() switch
        {
            "" or "B" => 1L,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            "T" or "TB" or "TIB" => 1L << 40,
            var unit => throw new FormatException($"'{unit}' in '{text}' is not a size unit; use B, KB, MB, GB or TB"),
        };
        return (long)(number * multiplier);
    }
}
