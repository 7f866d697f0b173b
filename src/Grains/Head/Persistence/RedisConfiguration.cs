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

    /// <summary>
    /// Granary's own element of the string: a PEM or DER file of the certificate authority that issued the
    /// server's TLS certificate (a private CA, or the server's own self-signed one), which StackExchange.Redis
    /// can trust only through code. It travels with the string to the workers, so the file must be at that
    /// path on every machine.
    /// </summary>
    public const string CaElement = "sslCa";

    public static ConfigurationOptions Parse(string configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var (rest, ca) = TakeCa(configuration);
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(Defaults + "," + rest);
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
        Trust(options, ca);
        return options;
    }

    /// <summary>
    /// The options Orleans' Redis membership uses on every silo: the library's own defaults for everything
    /// (as a plain string gave them before), with the <c>sslCa</c> element applied.
    /// </summary>
    public static ConfigurationOptions ForMembership(string configuration)
    {
        var (rest, ca) = TakeCa(configuration);
        var options = ConfigurationOptions.Parse(rest);
        Trust(options, ca);
        return options;
    }

    /// <summary>Splits <c>sslCa=PATH</c> off the string, which StackExchange.Redis would refuse as unknown.</summary>
    private static (string Others, string? Ca) TakeCa(string configuration)
    {
        string? ca = null;
        var rest = new List<string>();
        foreach (var element in configuration.Split(','))
        {
            var equals = element.IndexOf('=');
            if (equals > 0 && element[..equals].Trim().Equals(CaElement, StringComparison.OrdinalIgnoreCase))
            {
                ca = element[(equals + 1)..].Trim();
                if (ca.Length == 0 || !File.Exists(ca))
                {
                    throw new ArgumentException($"{Expected}: {CaElement}= names a certificate file that does not exist ('{ca}'); give the path of the CA certificate (PEM) that issued the Redis server's.", nameof(configuration));
                }
            }
            else
            {
                rest.Add(element);
            }
        }

        return (string.Join(',', rest), ca);
    }

    private static void Trust(ConfigurationOptions options, string? ca)
    {
        if (ca is null)
        {
            return;
        }

        if (!options.Ssl)
        {
            throw new ArgumentException($"{Expected}: {CaElement}= only applies with ssl=true (the server's TLS port).", nameof(ca));
        }

        options.TrustIssuer(ca);
    }

    /// <summary>The endpoints alone, for messages: never the password or other options.</summary>
    public static string Describe(ConfigurationOptions options) =>
        string.Join(", ", options.EndPoints.Select(endpoint => endpoint switch
        {
            DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
            _ => endpoint.ToString(),
        }));
}
