using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Serialization;
using Orleans.Serialization.Cloning;
using Orleans.Serialization.Serializers;

namespace Granary.Runtime.Serialization;

/// <summary>Registers what Orleans needs to carry Granary's messages; silos and clients both call it.</summary>
internal static class GranarySerializerBuilderExtensions
{
    public static IServiceCollection AddGranaryMessages(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(ProtobufMessageCodec)))
        {
            return services;
        }

        services.AddSingleton<ProtobufMessageCodec>();
        services.AddSingleton<IGeneralizedCodec>(sp => sp.GetRequiredService<ProtobufMessageCodec>());
        services.AddSingleton<IGeneralizedCopier>(sp => sp.GetRequiredService<ProtobufMessageCodec>());
        services.AddSingleton<ITypeFilter>(sp => sp.GetRequiredService<ProtobufMessageCodec>());
        services.Configure<Orleans.Serialization.Configuration.TypeManifestOptions>(options =>
        {
            foreach (var (alias, type) in ProtobufMessageCodec.Aliases())
            {
                options.WellKnownTypeAliases[alias] = type;
            }
        });
        return services;
    }
}
