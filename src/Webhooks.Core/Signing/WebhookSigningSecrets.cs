namespace Webhooks.Core.Signing;

/// <summary>Which of a subscription's secrets sign a delivery: for signers that derive keys from them (such as Ed25519).</summary>
public static class WebhookSigningSecrets
{
    /// <summary>The secrets that still sign at <paramref name="now"/>, current first: the current one and every rotated-out one whose grace period has not ended.</summary>
    /// <param name="secrets">A subscription's secrets, current first.</param>
    /// <param name="now">The current time.</param>
    /// <returns>The secret values.</returns>
    public static IReadOnlyList<string> Active(IReadOnlyList<WebhookSecret> secrets, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (secrets.Count == 1)
        {
            return [secrets[0].Value];
        }

        return [.. secrets.Where(s => s.ExpiresAt is null || s.ExpiresAt > now).Select(s => s.Value)];
    }
}
