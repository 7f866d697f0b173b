using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;

namespace Granary.Grains.Hosting;

/// <summary>
/// An <see cref="IServiceProvider"/> over the container that makes, itself, the singleton open-generic services
/// closed over value types (Orleans' <c>IDeepCopier&lt;bool&gt;</c>, <c>IValueSerializer&lt;GrainReferenceSurrogate&gt;</c>,
/// ...), which Microsoft.Extensions.DependencyInjection refuses to make when the process reports dynamic code
/// unsupported (see <see cref="NoDynamicCodeServiceProviderFactory"/>). Every other request goes to the container.
/// Thread-safe: the closed services live in one shared table per container, each made once, as their singleton
/// registrations ask.
/// </summary>
internal sealed class ValueTypeGenericServices(IServiceProvider inner, ValueTypeGenericServices.Closures closures)
    : IServiceProvider, IKeyedServiceProvider, ISupportRequiredService
{
    public object? GetService(Type serviceType)
    {
        // A service that asks for the provider gets this one, so what it resolves later is covered too.
        if (serviceType == typeof(IServiceProvider))
        {
            return this;
        }

        return closures.Implementation(serviceType) is { } implementation
            ? closures.Made.GetOrAdd(serviceType, (_, made) => Create(made.Implementation, made.Services), (Implementation: implementation, Services: this))
            : inner.GetService(serviceType);
    }

    public object GetRequiredService(Type serviceType) =>
        GetService(serviceType) ?? inner.GetRequiredService(serviceType);

    public object? GetKeyedService(Type serviceType, object? serviceKey) => ((IKeyedServiceProvider)inner).GetKeyedService(serviceType, serviceKey);

    public object GetRequiredKeyedService(Type serviceType, object? serviceKey) => inner.GetRequiredKeyedService(serviceType, serviceKey);

    [UnconditionalSuppressMessage("AotAnalysis", "IL3050", Justification = "Used only where a JIT runs the process (see NoDynamicCodeServiceProviderFactory).")]
    private static object Create(Type implementation, IServiceProvider services) => ActivatorUtilities.CreateInstance(services, implementation);

    /// <summary>The container's singleton open generics, and what was closed over value types so far.</summary>
    internal sealed class Closures
    {
        private readonly Dictionary<Type, Type> _openGenerics = [];

        public Closures(IEnumerable<ServiceDescriptor> services)
        {
            foreach (var descriptor in services)
            {
                if (!descriptor.IsKeyedService && descriptor.Lifetime == ServiceLifetime.Singleton
                    && descriptor.ServiceType.IsGenericTypeDefinition && descriptor.ImplementationType is { IsGenericTypeDefinition: true } implementation)
                {
                    // The last registration wins, as it does in the container.
                    _openGenerics[descriptor.ServiceType] = implementation;
                }
            }
        }

        public ConcurrentDictionary<Type, object> Made { get; } = new();

        /// <summary>The closed implementation to make for this service, or null where the container makes it.</summary>
        [UnconditionalSuppressMessage("AotAnalysis", "IL3050", Justification = "Used only where a JIT runs the process (see NoDynamicCodeServiceProviderFactory).")]
        public Type? Implementation(Type serviceType) =>
            IsValueTypeClosure(serviceType) ? _openGenerics[serviceType.GetGenericTypeDefinition()].MakeGenericType(serviceType.GenericTypeArguments) : null;

        /// <summary>True for a closed registered open generic with a value type among its arguments.</summary>
        public bool IsValueTypeClosure(Type type) =>
            type.IsConstructedGenericType && _openGenerics.ContainsKey(type.GetGenericTypeDefinition()) && type.GenericTypeArguments.Any(t => t.IsValueType);
    }
}
