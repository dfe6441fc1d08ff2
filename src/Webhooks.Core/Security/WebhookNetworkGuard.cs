using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Webhooks.Core.Delivery;

namespace Webhooks.Core.Security;

/// <summary>Resolves host names for the guard; a seam so tests can answer differently on each lookup (DNS rebinding).</summary>
internal interface IWebhookHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

internal sealed class DnsWebhookHostResolver : IWebhookHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>
/// The SSRF guard. <see cref="ConnectAsync"/> is the <c>ConnectCallback</c> of the delivery
/// handler: it resolves the host itself, refuses the connection unless every address is allowed,
/// and connects only to the addresses it checked, so nothing between the check and the connect can
/// swap them. <see cref="CheckUrlAsync"/> gives the same verdict when a URL is saved.
/// </summary>
internal sealed class WebhookNetworkGuard
{
    private const string Hint = " Use a public address; to deliver inside your own network, the application can allow it with WebhookOptions.Network.";

    private static readonly string[] PrivateUseSuffixes = [".internal", ".local", ".home.arpa"];

    private readonly IWebhookHostResolver _resolver;
    private readonly TimeSpan _resolveTimeout;
    private readonly IPNetwork[] _allowed;
    private readonly HashSet<IPAddress> _allowedExact;
    private readonly IPNetwork[] _blocked;
    private readonly string[] _allowedHosts;
    private readonly string[] _blockedHosts;
    private readonly HashSet<int> _allowedPorts;
    private readonly HashSet<int> _blockedPorts;

    public WebhookNetworkGuard(IOptions<WebhookOptions> options, IWebhookHostResolver resolver, IHostEnvironment? environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        var n = o.Network ?? new WebhookNetworkOptions();
        _resolver = resolver;
        _resolveTimeout = o.ConnectTimeout;
        AllowsLoopback = n.AllowLoopback ?? environment?.IsDevelopment() == true;
        _allowed = ParseNetworks(n.AllowedAddresses, nameof(n.AllowedAddresses));
        _allowedExact = [.. _allowed.Where(a => a.PrefixLength == (a.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128)).Select(a => a.BaseAddress)];
        _blocked = ParseNetworks(n.BlockedAddresses, nameof(n.BlockedAddresses));
        _allowedHosts = [.. (n.AllowedHosts ?? []).Select(NormalizeHost)];
        _blockedHosts = [.. (n.BlockedHosts ?? []).Select(NormalizeHost)];
        _allowedPorts = [.. n.AllowedPorts ?? []];
        _blockedPorts = [.. n.BlockedPorts ?? []];
    }

    /// <summary>Whether loopback receivers are allowed (set, or the Development default).</summary>
    public bool AllowsLoopback { get; }

    /// <summary>The checks that need no DNS: port, address literals (any spelling) and names. Null when allowed so far.</summary>
    public string? CheckUrl(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var host = HostOf(uri);
        if (CheckHost(host, uri.Port, out var literal, out var hostAllowed) is { } reason)
        {
            return reason;
        }

        return literal is not null && CheckAddress(literal, hostAllowed) is { } kind ? LiteralBlocked(literal, kind) : null;
    }

    /// <summary>
    /// <see cref="CheckUrl"/> plus a DNS lookup: a name that resolves to a blocked address is refused.
    /// A name that does not resolve (yet) is accepted: every connection is checked again anyway.
    /// </summary>
    public async Task<string?> CheckUrlAsync(Uri uri, CancellationToken cancellationToken)
    {
        if (CheckUrl(uri) is { } reason)
        {
            return reason;
        }

        var host = HostOf(uri);
        if (TryParseLiteral(host, out _) || MatchesAny(host, _allowedHosts))
        {
            return null;
        }

        IPAddress[] addresses;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_resolveTimeout);
        try
        {
            addresses = await _resolver.ResolveAsync(host, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }

        foreach (var address in addresses)
        {
            if (CheckAddress(address, hostAllowed: false) is { } kind)
            {
                return ResolvedBlocked(host, kind);
            }
        }

        return null;
    }

    /// <summary>The addresses a connection to <paramref name="host"/> may use; throws <see cref="WebhookTargetBlockedException"/> when any is refused.</summary>
    public async Task<IPAddress[]> ResolveAllowedAsync(string host, int port, CancellationToken cancellationToken)
    {
        host = NormalizeHost(host);
        if (CheckHost(host, port, out var literal, out var hostAllowed) is { } reason)
        {
            throw new WebhookTargetBlockedException(reason);
        }

        if (literal is not null)
        {
            return CheckAddress(literal, hostAllowed) is { } kind
                ? throw new WebhookTargetBlockedException(LiteralBlocked(literal, kind))
                : [WebhookAddressRules.Canonical(literal)];
        }

        var addresses = await _resolver.ResolveAsync(host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        var result = new IPAddress[addresses.Length];
        for (int i = 0; i < addresses.Length; i++)
        {
            if (CheckAddress(addresses[i], hostAllowed) is { } kind)
            {
                // Refuse the whole name: a receiver that also resolves to an internal address is not trusted.
                throw new WebhookTargetBlockedException(ResolvedBlocked(host, kind));
            }

            result[i] = WebhookAddressRules.Canonical(addresses[i]);
        }

        return result;
    }

    /// <summary>The <see cref="SocketsHttpHandler.ConnectCallback"/>: connects only to checked addresses.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var endpoint = context.DnsEndPoint;
        var addresses = await ResolveAllowedAsync(endpoint.Host, endpoint.Port, cancellationToken).ConfigureAwait(false);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last!;
    }

    /// <summary>Lower case, no brackets, no trailing dot, no IPv6 zone.</summary>
    internal static string NormalizeHost(string host)
    {
        var h = host.Trim().ToLowerInvariant();
        if (h.StartsWith('[') && h.EndsWith(']'))
        {
            h = h[1..^1];
        }

        if (h.Contains(':', StringComparison.Ordinal) && h.IndexOf('%', StringComparison.Ordinal) is var zone and >= 0)
        {
            h = h[..zone];
        }

        return h.TrimEnd('.');
    }

    /// <summary>An address literal in any spelling the OS accepts (127.1, 0x7f.1, 0177.0.0.1, 2130706433, IPv6).</summary>
    internal static bool TryParseLiteral(string host, out IPAddress address)
    {
        address = IPAddress.None;
        if (host.Length == 0)
        {
            return false;
        }

        if (host.Contains(':', StringComparison.Ordinal))
        {
            return IPAddress.TryParse(host, out address!);
        }

        return host.All(c => char.IsAsciiHexDigit(c) || c is '.' or 'x') && IPAddress.TryParse(host, out address!);
    }

    private static string HostOf(Uri uri) =>
        NormalizeHost(uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : uri.IdnHost);

    private string? CheckHost(string host, int port, out IPAddress? literal, out bool hostAllowed)
    {
        literal = null;
        hostAllowed = false;
        if (_blockedPorts.Contains(port))
        {
            return $"Port {port} is blocked for webhooks (WebhookOptions.Network.BlockedPorts).";
        }

        if (_allowedPorts.Count > 0 && !_allowedPorts.Contains(port))
        {
            return $"Port {port} is not allowed for webhooks; use port {string.Join(", ", _allowedPorts.Order().Select(p => p.ToString(CultureInfo.InvariantCulture)))}.";
        }

        if (TryParseLiteral(host, out var ip))
        {
            literal = ip;
            return null;
        }

        if (MatchesAny(host, _blockedHosts))
        {
            return $"The host '{host}' is blocked for webhooks (WebhookOptions.Network.BlockedHosts).";
        }

        hostAllowed = MatchesAny(host, _allowedHosts);
        if (hostAllowed)
        {
            return null;
        }

        if (!AllowsLoopback && (host == "localhost" || host.EndsWith(".localhost", StringComparison.Ordinal) || host == "localhost.localdomain"))
        {
            return $"'{host}' names this machine (loopback); webhooks cannot be sent there." + Hint;
        }

        if (PrivateUseSuffixes.FirstOrDefault(s => host.EndsWith(s, StringComparison.Ordinal) || host == s[1..]) is { } suffix)
        {
            return $"'{host}' is a private-use name (*{suffix}); webhooks cannot be sent to internal hosts." + Hint;
        }

        return null;
    }

    /// <summary>Null when allowed; otherwise what kind of address it is.</summary>
    private string? CheckAddress(IPAddress address, bool hostAllowed)
    {
        var a = WebhookAddressRules.Canonical(address);
        if (_blocked.Any(n => n.Contains(a)))
        {
            return "an address in WebhookOptions.Network.BlockedAddresses";
        }

        var verdict = WebhookAddressRules.Classify(address);
        if (!verdict.IsBlocked)
        {
            return null;
        }

        // Metadata endpoints hand out credentials: only an exact entry opens them, never a range or a host name.
        if (verdict.Category == WebhookAddressCategory.CloudMetadata)
        {
            return _allowedExact.Contains(a) ? null : verdict.Kind;
        }

        if (hostAllowed || (verdict.Category == WebhookAddressCategory.Loopback && AllowsLoopback) || _allowed.Any(n => n.Contains(a)))
        {
            return null;
        }

        return verdict.Kind;
    }

    private static string LiteralBlocked(IPAddress literal, string kind) =>
        $"Webhooks cannot be sent to {literal}: it is {kind}." + Hint;

    private static string ResolvedBlocked(string host, string kind) =>
        $"The host '{host}' resolves to {kind}; webhooks cannot be sent there." + Hint;

    private static bool MatchesAny(string host, string[] patterns)
    {
        foreach (var p in patterns)
        {
            if (p.StartsWith("*.", StringComparison.Ordinal)
                ? host.EndsWith(p[1..], StringComparison.Ordinal) && host.Length > p.Length - 1
                : host == p)
            {
                return true;
            }
        }

        return false;
    }

    private static IPNetwork[] ParseNetworks(IList<string>? entries, string name) =>
        [.. (entries ?? []).Select(e => WebhookAddressRules.TryParseNetwork(e, out var n)
            ? n
            : throw new WebhookException($"Webhooks:Network:{name} entry '{e}' is not an IP address or CIDR range such as 10.20.0.0/16."))];
}
