using System.Runtime.CompilerServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Granary.Grains.Hosting;

/// <summary>The Generic Host builder under each of Granary's silos and clients.</summary>
internal static class GranaryHostBuilder
{
    /// <summary>
    /// No default configuration sources or log providers (the caller's logger factory is the only one), and a
    /// container that lets Orleans start where dynamic code is reported unsupported (a file-based app's defaults).
    /// </summary>
    public static HostApplicationBuilder Create()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.ConfigureContainer(new NoDynamicCodeServiceProviderFactory(RuntimeFeature.IsDynamicCodeSupported));
        return builder;
    }
}
