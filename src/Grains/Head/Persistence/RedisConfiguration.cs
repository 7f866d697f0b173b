using System.Net;
using StackExchange.Redis;

namespace Granary.Grains.Head.Persistence;

/// <summary>
/// Reads the head's <c>--redis</c> value: <c>host:port</c>, or any StackExchange.Redis configuration string
/// (<c>host:port,password=...,user=...,ssl=true</c>), so passwords and TLS need no flags of Granary's own.
/// Stateless and thread-safe.
/// </summary>
internal static class RedisConfiguration
{
    /// <summary>
    /// Put before the user's string, so the user's own values win. The library tries a silent server three times
    /// for 5 s each (15 s) before it gives up; a head that cannot persist should say so sooner. One try of 8 s
    /// still leaves room for a slow handshake, and the library redials within that try when a dial is refused.
    /// </summary>
    private const string Defaults = "connectTimeout=8000,connectRetry=1";

    private const string Expected =
        "--redis expects host:port or a StackExchange.Redis configuration string such as host:port,password=...,ssl=true";

    public static ConfigurationOptions Parse(string configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(Defaults + "," + configuration);
        }
        catch (ArgumentException ex)
        {
            // The library's message names the bad element; the input is not echoed because it may hold a password.
            throw new ArgumentException($"{Expected}: {ex.Message.ReplaceLineEndings(" ")}", nameof(configuration), ex);
        }

        // The library skips an element it cannot read as an endpoint ("host:abc"), which would leave nothing to dial.
        if (options.EndPoints.Count == 0)
        {
            throw new ArgumentException($"{Expected}: it names no host:port", nameof(configuration));
        }

        // A head that starts without its store would lose every change it makes, so connect failures must throw
        // even where the library's default (abortConnect=false on some cloud hosts) or the string says otherwise.
        options.AbortOnConnectFail = true;
        options.ClientName ??= "granary-head";
        // The library's default waits ConnectTimeout/2 (4 s here) and more before redialling a dropped server, while a
        // write issued meanwhile waits only its async timeout (5 s) in the backlog: after a Redis restart the head's
        // next write could time out. Redialling within about a second keeps that write well inside its timeout.
        options.ReconnectRetryPolicy = new ExponentialRetry(deltaBackOffMilliseconds: 250, maxDeltaBackOffMilliseconds: 2000);
        // Messages then show the port actually dialled (6379, or 6380 with ssl) instead of 0.
        options.SetDefaultPorts();
        return options;
    }

    /// <summary>The endpoints alone, for messages: never the password or other options.</summary>
    public static string Describe(ConfigurationOptions options) =>
        string.Join(", ", options.EndPoints.Select(endpoint => endpoint switch
        {
            DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
            _ => endpoint.ToString(),
        }));
}
