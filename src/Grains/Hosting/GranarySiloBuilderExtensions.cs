using Granary.Grains;
using Granary.Grains.Hosting;
using Granary.Grains.SiloPlacement;
using Granary.Runtime.Grains;
using Granary.Runtime.Gpus;
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
    public static ISiloBuilder UseGranary(this ISiloBuilder builder, Granary.Grains.GranarySiloOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        options.NodeId ??= "node-" + Guid.NewGuid().ToString("N")[..12];
        // GPUs are found once, here, so the silo metadata and the runtime offer the same devices.
        var gpus = GpuInventory.Detect(options.Gpus, options.GpuType, options.GpuMemoryBytes, options.CudaVisibleDevices);
        builder.Services.AddSingleton(sp => new SiloRuntime(options, options.HeadStore, sp.GetService<ILoggerFactory>(), gpus));
        builder.Services.AddSingleton(new GranarySiloRole(options.IsHead));
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, GranarySiloLifecycle>();
        builder.Services.AddGranaryMessages();

        // Orleans finds grain classes in the assemblies loaded when the host is built; name Granary's
        // explicitly so they are found however early a user's host is built.
        builder.Services.AddSerializer(parts => parts.AddAssembly(typeof(NodeGrain).Assembly).AddAssembly(typeof(IHeadGrain).Assembly));
        builder.Services.AddPlacementDirector<NodePlacement, NodePlacementDirector>();
        builder.Services.AddPlacementDirector<HeadPlacement, HeadPlacementDirector>();
        builder.Services.AddPlacementDirector<ActorPlacement, ActorPlacementDirector>();
        AddGranaryPlacement(builder.Services);
        builder.AddIncomingGrainCallFilter<FaultWrappingFilter>();
        builder.AddOutgoingGrainCallFilter<FaultUnwrappingFilter>();

        // Orleans names the silo after the node, so node grains find their silo in membership itself.
        builder.Configure<Orleans.Configuration.SiloOptions>(o => o.SiloName = options.NodeId);
        builder.UseSiloMetadata(SiloResourceMetadata.Describe(options.NodeId, options, gpus).Write());
        return builder;
    }

    /// <summary>
    /// Registers Granary's strategies for users' grains. Orleans' <c>AddPlacementDirector</c> keys a strategy
    /// by its bare type name (ours would replace Orleans' own PreferLocalPlacement) and builds it with a
    /// public parameterless constructor (GpuTypePlacement and NodeAffinityPlacement have none: a blank one
    /// would be invalid to users). So this does the same two registrations under Granary's names. Strategies
    /// with arguments are transient: Orleans fills each one from one grain type's properties.
    /// </summary>
    private static void AddGranaryPlacement(IServiceCollection services)
    {
        services.AddSingleton<GranaryPlacementDirector>();
        Add(services, ServiceLifetime.Singleton, () => global::Granary.PackPlacement.Instance);
        Add(services, ServiceLifetime.Singleton, () => global::Granary.SpreadPlacement.Instance);
        Add(services, ServiceLifetime.Singleton, () => global::Granary.PreferLocalPlacement.Instance);
        Add(services, ServiceLifetime.Transient, () => new global::Granary.GpuTypePlacement());
        Add(services, ServiceLifetime.Transient, () => new global::Granary.NodeAffinityPlacement());
        Add(services, ServiceLifetime.Singleton, () => global::Granary.PlacementGroupPlacement.Instance);
    }

    private static void Add<TStrategy>(IServiceCollection services, ServiceLifetime lifetime, Func<TStrategy> create)
        where TStrategy : Orleans.Runtime.PlacementStrategy
    {
        services.Add(ServiceDescriptor.DescribeKeyed(typeof(Orleans.Runtime.PlacementStrategy), Granary.PlacementStrategy.OrleansNameOf(typeof(TStrategy)), (_, _) => create(), lifetime));
        services.AddKeyedSingleton<Orleans.Runtime.Placement.IPlacementDirector>(typeof(TStrategy), (sp, _) => sp.GetRequiredService<GranaryPlacementDirector>());
    }

    /// <summary>Adds Granary, configuring its options in place.</summary>
    public static ISiloBuilder UseGranary(this ISiloBuilder builder, Action<Granary.Grains.GranarySiloOptions>? configure = null)
    {
        var options = new Granary.Grains.GranarySiloOptions();
        configure?.Invoke(options);
        return builder.UseGranary(options);
    }
}
