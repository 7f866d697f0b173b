using Granary.Runtime.Grains;
using Granary.Runtime.Serialization;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Hosting;

namespace Granary.Grains.Hosting;

/// <summary>What any Orleans client needs to talk to Granary's grains: the message codecs, fault unwrapping and room for large messages.</summary>
internal static class GranaryClientServices
{
    public static IClientBuilder AddGranaryClientServices(this IClientBuilder client)
    {
        client.Configure<MessagingOptions>(o => o.MaxMessageBodySize = Math.Max(o.MaxMessageBodySize, GranaryDefaults.MaxMessageBytes));
        client.Services.AddGranaryMessages();
        client.Services.AddSerializer(parts => parts.AddAssembly(typeof(IHeadGrain).Assembly));
        client.AddOutgoingGrainCallFilter<FaultUnwrappingFilter>();
        return client;
    }
}
