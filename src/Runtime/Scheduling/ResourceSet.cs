using Granary.Runtime.Wire;

namespace Granary.Runtime.Scheduling;

/// <summary>
/// Amounts of named resources ("CPU", "GPU", "memory" and custom names). Arithmetic is exact enough for
/// fractional GPUs because amounts are rounded to 1e-4. Not thread-safe; the head guards its copies.
/// </summary>
internal sealed class ResourceSet
{
    public const string Cpu = "CPU";
    public const string Gpu = "GPU";
    public const string Memory = "memory";
    private const double Epsilon = 1e-6;

    private readonly Dictionary<string, double> _amounts;

    public ResourceSet(IEnumerable<KeyValuePair<string, double>>? amounts = null)
    {
        _amounts = new Dictionary<string, double>(StringComparer.Ordinal);
        if (amounts is not null)
        {
            foreach (var (name, amount) in amounts)
            {
                if (amount > Epsilon)
                {
                    _amounts[name] = amount;
                }
            }
        }
    }

    public IReadOnlyDictionary<string, double> Amounts => _amounts;

    public double this[string name] => _amounts.TryGetValue(name, out var amount) ? amount : 0;

    public static ResourceSet FromWire(ResourceMap? map) => new(map?.Amounts);

    public ResourceMap ToWire()
    {
        var map = new ResourceMap();
        map.Amounts.Add(_amounts);
        return map;
    }

    public ResourceSet Clone() => new(_amounts);

    /// <summary>True when every amount in <paramref name="request"/> is available here.</summary>
    public bool Fits(ResourceSet request) => FirstShortage(request) is null;

    /// <summary>The name of the first resource this set has too little of, or null when the request fits.</summary>
    public string? FirstShortage(ResourceSet request)
    {
        foreach (var (name, amount) in request._amounts)
        {
            if (this[name] + Epsilon < amount)
            {
                return name;
            }
        }

        return null;
    }

    public void Subtract(ResourceSet request)
    {
        foreach (var (name, amount) in request._amounts)
        {
            _amounts[name] = Math.Round(this[name] - amount, 4);
        }
    }

    public void Add(ResourceSet request)
    {
        foreach (var (name, amount) in request._amounts)
        {
            _amounts[name] = Math.Round(this[name] + amount, 4);
        }
    }

    /// <summary>How busy a node is relative to its total, 0..1, averaged over the resources it has.</summary>
    public double Utilization(ResourceSet total)
    {
        if (total._amounts.Count == 0)
        {
            return 0;
        }

        var sum = 0.0;
        foreach (var (name, amount) in total._amounts)
        {
            sum += amount <= 0 ? 0 : 1 - (this[name] / amount);
        }

        return sum / total._amounts.Count;
    }

    public override string ToString() =>
        _amounts.Count == 0 ? "{}" : "{" + string.Join(", ", _amounts.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}: {a.Value:0.####}")) + "}";
}
