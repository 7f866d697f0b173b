using Granary.Grains;
using Granary.Grains.Hosting;
using Granary.Grains.SiloPlacement;
using Granary.Runtime.Grains;
using Granary.Runtime.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Serialization;

namespace Orleans.Hosting;

/// <summary>
/// Adds Granary to an Orleans silo: task execution, actors, the object store and, on the head, the control
/// plane. Call it in any Orleans host, next to your own grains; clustering, endpoints and the rest stay
/// yours to choose (`granary start` picks them for you).
/// </summary>
public static class GranarySiloBuilderExtensions
{
    /// <summary>Adds Granary with the given options (validated now; a bad value names its fix).</summary>
    public static ISiloBuilder UseGranary(this ISiloBuilder builder, Granary.Grains.SiloOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        options.NodeId ??= "node-" + Guid.NewGuid().ToString("N")[..12];
        builder.Services.AddSingleton(sp => new SiloRuntime(options, options.HeadStore, sp.GetService<ILoggerFactory>()));
        builder.Services.AddSingleton(new GranarySiloRole(options.IsHead));
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, GranarySiloLifecycle>();
        builder.Services.AddGranaryMessages();

        // Orleans finds grain classes in the assemblies loaded when the host is built; name Granary's
        // explicitly so they are found however early a user's host is built.
        builder.Services.AddSerializer(parts => parts.AddAssembly(typeof(NodeGrain).Assembly).AddAssembly(typeof(IHeadGrain).Assembly));
        builder.Services.AddPlacementDirector<NodePlacement, NodePlacementDirector>();
        builder.Services.AddPlacementDirector<HeadPlacement, HeadPlacementDirector>();
        builder.Services.AddPlacementDirector<ActorPlacement, ActorPlacementDirector>();
        builder.AddIncomingGrainCallFilter<FaultWrappingFilter>();
        builder.AddOutgoingGrainCallFilter<FaultUnwrappingFilter>();

        // Orleans names the silo after the node, so node grains find their silo in membership itself.
        builder.Configure<Orleans.Configuration.SiloOptions>(o => o.SiloName = options.NodeId);
        builder.UseSiloMetadata(new Dictionary<string, string> { [SiloNames.RoleKey] = options.IsHead ? SiloNames.HeadRole : SiloNames.WorkerRole });
        return builder;
    }

    /// <summary>Adds Granary, configuring its options in place.</summary>
    public static ISiloBuilder UseGranary(this ISiloBuilder builder, Action<Granary.Grains.SiloOptions>? configure = null)
    {
        var options = new Granary.Grains.SiloOptions();
        configure?.Invoke(options);
        return builder.UseGranary(options);
    }
}
