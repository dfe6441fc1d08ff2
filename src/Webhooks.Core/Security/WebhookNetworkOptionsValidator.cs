using Microsoft.Extensions.Options;

namespace Webhooks.Core.Security;

/// <summary>Checks <see cref="WebhookOptions.Network"/> at start-up: every entry parses, every port is a port.</summary>
internal sealed class WebhookNetworkOptionsValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var n = options.Network;
        if (n is null)
        {
            return ValidateOptionsResult.Fail("Webhooks:Network must not be null.");
        }

        var failures = new List<string>();
        CheckNetworks(failures, n.AllowedAddresses, nameof(n.AllowedAddresses));
        CheckNetworks(failures, n.BlockedAddresses, nameof(n.BlockedAddresses));
        CheckHosts(failures, n.AllowedHosts, nameof(n.AllowedHosts));
        CheckHosts(failures, n.BlockedHosts, nameof(n.BlockedHosts));
        CheckPorts(failures, n.AllowedPorts, nameof(n.AllowedPorts));
        CheckPorts(failures, n.BlockedPorts, nameof(n.BlockedPorts));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckNetworks(List<string> failures, IList<string>? entries, string list)
    {
        foreach (var entry in entries ?? [])
        {
            if (!WebhookAddressRules.TryParseNetwork(entry, out _))
            {
                failures.Add($"Webhooks:Network:{list} entry '{entry}' is not an IP address or CIDR range; write 10.20.0.0/16 (no bits set after the prefix), 192.168.1.5 or fd12::/64.");
            }
        }
    }

    private static void CheckHosts(List<string> failures, IList<string>? entries, string list)
    {
        foreach (var entry in entries ?? [])
        {
            var body = entry?.StartsWith("*.", StringComparison.Ordinal) == true ? entry[2..] : entry;
            if (string.IsNullOrWhiteSpace(body) || body.Length > 253
                || !body.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.')
                || body.StartsWith('.') || body.Contains("..", StringComparison.Ordinal))
            {
                failures.Add($"Webhooks:Network:{list} entry '{entry}' is not a host name or wildcard; write hooks.example.com or *.example.com (ASCII; punycode for international names).");
            }
        }
    }

    private static void CheckPorts(List<string> failures, IList<int>? entries, string list)
    {
        foreach (var port in entries ?? [])
        {
            if (port is < 1 or > 65535)
            {
                failures.Add($"Webhooks:Network:{list} entry {port} is not a port; use 1 to 65535.");
            }
        }
    }
}
