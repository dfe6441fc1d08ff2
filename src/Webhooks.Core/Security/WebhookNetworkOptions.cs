namespace Webhooks.Core.Security;

/// <summary>
/// Where deliveries may connect (the SSRF guard), bound under <c>Webhooks:Network</c>. Every
/// connection is checked on the address actually connected to, after DNS, so a name that resolves
/// to a public address when subscribing and to a private one later is still refused. Receiver URLs
/// are also checked when a subscription is created or its URL changes.
/// </summary>
/// <remarks>
/// Blocked by default: loopback, private networks (RFC 1918, unique local IPv6), link-local and the
/// cloud metadata addresses, carrier-grade NAT, unspecified, multicast, broadcast, documentation,
/// benchmarking and reserved ranges, and the IPv6 forms that embed a blocked IPv4 address
/// (IPv4-mapped, IPv4-compatible, 6to4, NAT64, Teredo); the names <c>localhost</c> and
/// <c>*.localhost</c>; and private-use names (<c>*.internal</c>, <c>*.local</c>, <c>*.home.arpa</c>).
/// Deny lists win over allow lists.
/// </remarks>
public sealed class WebhookNetworkOptions
{
    /// <summary>
    /// Allow loopback receivers (127.0.0.0/8, ::1, <c>localhost</c>). <see langword="null"/> allows
    /// them only when the host environment is Development.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: allowed in Development, blocked elsewhere.</value>
    public bool? AllowLoopback { get; set; }

    /// <summary>
    /// Addresses and CIDR ranges (<c>10.20.0.0/16</c>, <c>192.168.1.5</c>, <c>fd12::/64</c>) that
    /// receivers may use although they are in a blocked range, for apps that deliver inside their own
    /// network. The cloud metadata addresses (169.254.169.254, 169.254.170.2, 100.100.100.200,
    /// fd00:ec2::254) are only allowed when listed exactly, never through a wider range.
    /// </summary>
    /// <value>The default value is an empty list.</value>
    public IList<string> AllowedAddresses { get; set; } = [];

    /// <summary>
    /// Host names (<c>hooks.corp.example</c>) or wildcards (<c>*.corp.example</c>: any subdomain,
    /// not the name itself) whose receivers may be at any address they resolve to, except the
    /// cloud metadata addresses. Only list names whose DNS you control.
    /// </summary>
    /// <value>The default value is an empty list.</value>
    public IList<string> AllowedHosts { get; set; } = [];

    /// <summary>Extra addresses and CIDR ranges to refuse, such as your own public ranges.</summary>
    /// <value>The default value is an empty list.</value>
    public IList<string> BlockedAddresses { get; set; } = [];

    /// <summary>Extra host names or wildcards to refuse, such as your own API's domain (<c>*.example.com</c>).</summary>
    /// <value>The default value is an empty list.</value>
    public IList<string> BlockedHosts { get; set; } = [];

    /// <summary>When not empty, receivers must use one of these ports.</summary>
    /// <value>The default value is an empty list: any port.</value>
    public IList<int> AllowedPorts { get; set; } = [];

    /// <summary>Ports receivers may not use (for example 22, 25, 6379).</summary>
    /// <value>The default value is an empty list.</value>
    public IList<int> BlockedPorts { get; set; } = [];
}
