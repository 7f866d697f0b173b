using Granary;
using Granary.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Orleans.Hosting;

/// <summary>
/// Lets an Orleans client of your own carry Granary: call <c>UseGranaryClient()</c> when you build it, then
/// <see cref="GranaryClient.ConnectAsync(IClusterClient, CancellationToken)"/> on the started client to
/// submit tasks and actors through it, next to calls to your own grains. Clustering and gateways stay
/// yours to choose.
/// </summary>
public static class GranaryClientBuilderExtensions
{
    /// <summary>Adds Granary's message types and error handling to this client, with the given options (validated now).</summary>
    public static IClientBuilder UseGranaryClient(this IClientBuilder builder, ClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        builder.AddGranaryClientServices();
        builder.Services.AddSingleton(new GranaryClientRegistration(options));
        return builder;
    }

    /// <summary>Adds Granary to this client, configuring its options in place.</summary>
    public static IClientBuilder UseGranaryClient(this IClientBuilder builder, Action<ClientOptions>? configure = null)
    {
        var options = new ClientOptions();
        configure?.Invoke(options);
        return builder.UseGranaryClient(options);
    }
}
