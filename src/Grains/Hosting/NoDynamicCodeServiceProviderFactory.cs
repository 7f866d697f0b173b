using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace Granary.Grains.Hosting;

/// <summary>
/// Builds the service provider of Granary's own hosts (silos and clients) so that Orleans starts in a process
/// that reports dynamic code unsupported while a JIT runs it. A .NET 10 file-based app (<c>dotnet run app.cs</c>
/// with <c>#:project .../Granary.Client.csproj</c>) defaults to <c>PublishAot=true</c>, and then its runtimeconfig
/// sets <c>RuntimeFeature.IsDynamicCodeSupported</c> to false, to show at development time what native AOT would
/// refuse. Microsoft.Extensions.DependencyInjection reads that flag directly (its only switches,
/// DisableDynamicEngine and VerifyOpenGenericServiceTrimmability, do not cover this) and refuses to close an
/// open-generic registration over a value type; Orleans resolves such closures for every value type it
/// serializes (<c>IDeepCopier&lt;bool&gt;</c> first), so a silo would never finish joining. Flipping the flag
/// from a module initializer is no answer: it is read once, possibly before Granary's code runs, and it would
/// change the user's whole process. Instead, where the flag is off, each registration that could ask for such a
/// closure (its constructor takes <see cref="IServiceProvider"/> or a value-type closure; every factory) gets
/// its services through <see cref="ValueTypeGenericServices"/>, which closes them itself: the JIT compiles the
/// closed types as it always does. Where dynamic code is supported, this is the container's default build.
/// </summary>
internal sealed class NoDynamicCodeServiceProviderFactory(bool dynamicCodeSupported) : IServiceProviderFactory<IServiceCollection>
{
    public IServiceCollection CreateBuilder(IServiceCollection services) => services;

    public IServiceProvider CreateServiceProvider(IServiceCollection containerBuilder)
    {
        if (dynamicCodeSupported)
        {
            return containerBuilder.BuildServiceProvider();
        }

        var closures = new ValueTypeGenericServices.Closures(containerBuilder);
        IServiceCollection rewritten = new ServiceCollection();
        foreach (var descriptor in containerBuilder)
        {
            rewritten.Add(Rewrite(descriptor, closures));
        }

        return rewritten.BuildServiceProvider();
    }

    private static ServiceDescriptor Rewrite(ServiceDescriptor descriptor, ValueTypeGenericServices.Closures closures)
    {
        if (descriptor.IsKeyedService)
        {
            return descriptor;
        }

        if (descriptor.ImplementationFactory is { } factory)
        {
            return new ServiceDescriptor(descriptor.ServiceType, sp => factory(new ValueTypeGenericServices(sp, closures)), descriptor.Lifetime);
        }

        if (descriptor.ImplementationType is { IsGenericTypeDefinition: false } type && AsksForClosures(type, closures))
        {
            return new ServiceDescriptor(
                descriptor.ServiceType,
                sp => ActivatorUtilities.CreateInstance(new ValueTypeGenericServices(sp, closures), type),
                descriptor.Lifetime);
        }

        return descriptor;
    }

    private static bool AsksForClosures(Type type, ValueTypeGenericServices.Closures closures) =>
        type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .SelectMany(c => c.GetParameters())
            .Any(p => p.ParameterType == typeof(IServiceProvider) || closures.IsValueTypeClosure(p.ParameterType));
}
