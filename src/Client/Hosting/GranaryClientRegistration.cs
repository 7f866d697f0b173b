namespace Granary;

/// <summary>The options <c>UseGranaryClient</c> registered; its presence says the Orleans client can carry Granary's messages.</summary>
internal sealed class GranaryClientRegistration(ClientOptions options)
{
    public ClientOptions Options { get; } = options;
}
