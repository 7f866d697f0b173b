
namespace Granary.TorchSharp;

/// <summary>Turns TorchSharp support on for a client.</summary>
public static class TorchSharpClientOptions
{
    /// <summary>
    /// Lets tensors be arguments, results and Puts (on their own or inside records, arrays and lists), as raw
    /// bytes with dtype and shape. Every node reads them with the same serializer, shipped with the job's code.
    /// Returns <paramref name="options"/>.
    /// </summary>
    public static ClientOptions UseTorchSharp(this ClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Serializers.Any(s => s is TensorSerializer))
        {
            options.Serializers.Add(new TensorSerializer());
        }

        return options;
    }
}
