namespace Webhooks.Core.Subscriptions;

/// <summary>
/// A receiver's standing request: "POST these events to this URL, signed with this secret".
/// Immutable; change one with <c>with</c> and <see cref="IWebhookSubscriptionStore.UpdateAsync"/>.
/// <see cref="ToString"/> masks secrets and auth values.
/// </summary>
public sealed record WebhookSubscription
{
    /// <summary>The id (<c>sub_…</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Who owns it (a user or tenant id); <see langword="null"/> for app-level subscriptions. A publish reaches only its owner's subscriptions.</summary>
    public string? Owner { get; init; }

    /// <summary>A name unique among the owner's subscriptions.</summary>
    public required string Name { get; init; }

    /// <summary>The absolute http(s) URL that receives the POSTs.</summary>
    public required string Url { get; init; }

    /// <summary>Event type names and patterns (<c>*</c>, <c>order.*</c>) it receives; at least one, no duplicates.</summary>
    public required IReadOnlyList<string> Events { get; init; }

    /// <summary>Free text for people.</summary>
    public string? Description { get; init; }

    /// <summary>The signing secrets, current first; a previous one stays until its <see cref="WebhookSecret.ExpiresAt"/> during a rotation.</summary>
    public required IReadOnlyList<WebhookSecret> Secrets { get; init; }

    /// <summary>The signature scheme (<see cref="Signing.WebhookSignatureSchemes"/>); <see langword="null"/> uses <see cref="WebhookOptions.DefaultSignatureScheme"/>.</summary>
    public string? SignatureScheme { get; init; }

    /// <summary>How each request authenticates to the receiver.</summary>
    public WebhookAuth Auth { get; init; } = WebhookAuth.None;

    /// <summary>Extra request headers sent with every delivery.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = EmptyMap;

    /// <summary>The app's own key-value data (not sent to the receiver).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = EmptyMap;

    /// <summary>
    /// Narrows which events are delivered by the attributes they were published with
    /// (<see cref="Publishing.WebhookPublishOptions.Attributes"/>): for every key, the event's value
    /// must be one of the listed values (seed 001: <c>severity: [error, critical]</c>). Empty: no narrowing.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Filter { get; init; } = EmptyFilter;

    /// <summary>Inactive subscriptions are skipped (not deleted).</summary>
    public bool Active { get; init; } = true;

    /// <summary>Why the library disabled it (410 Gone, sustained failure); cleared when it is enabled again.</summary>
    public string? DisabledReason { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Concurrency version: starts at 1 and grows by one with each update.</summary>
    public long Version { get; init; }

    /// <summary>The secret that signs new deliveries.</summary>
    public string CurrentSecret => Secrets[0].Value;

    internal static readonly IReadOnlyDictionary<string, string> EmptyMap = new Dictionary<string, string>(0);
    internal static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> EmptyFilter = new Dictionary<string, IReadOnlyList<string>>(0);

    /// <summary>Whether an event published with <paramref name="attributes"/> passes <see cref="Filter"/>.</summary>
    /// <param name="attributes">The event's attributes (may be null).</param>
    /// <returns><see langword="true"/> when every filter key has an allowed value.</returns>
    public bool Accepts(IReadOnlyDictionary<string, string>? attributes)
    {
        foreach (var (key, allowed) in Filter)
        {
            if (attributes is null || !attributes.TryGetValue(key, out var value) || !allowed.Contains(value, StringComparer.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The secrets that still sign at <paramref name="now"/>, current first.</summary>
    /// <param name="now">The current time.</param>
    /// <returns>The unexpired secret values.</returns>
    public IReadOnlyList<string> GetSigningSecrets(DateTimeOffset now)
    {
        if (Secrets.Count == 1)
        {
            return [Secrets[0].Value];
        }

        return [.. Secrets.Where(s => s.ExpiresAt is null || s.ExpiresAt > now).Select(s => s.Value)];
    }

    /// <summary>Describes the subscription with secrets and auth values masked.</summary>
    /// <returns>A log-safe description.</returns>
    public override string ToString() =>
        $"WebhookSubscription {{ Id = {Id}, Owner = {Owner}, Name = {Name}, Url = {Url}, Events = [{string.Join(", ", Events)}], Active = {Active}, Auth = {Auth}, Secret = {WebhookSecret.Mask(Secrets.Count > 0 ? Secrets[0].Value : null)}, Version = {Version} }}";
}

/// <summary>A signing secret and, for a rotated-out one, when it stops signing.</summary>
/// <param name="Value">The secret (<c>whsec_</c> + base64).</param>
/// <param name="ExpiresAt">When it stops signing; <see langword="null"/> for the current secret.</param>
public sealed record WebhookSecret(string Value, DateTimeOffset? ExpiresAt = null)
{
    /// <summary>The prefix of every secret.</summary>
    public const string Prefix = "whsec_";

    /// <summary>Creates a new random secret: <c>whsec_</c> + 32 CSPRNG bytes in base64.</summary>
    /// <returns>The secret.</returns>
    public static string Generate()
    {
        Span<byte> bytes = stackalloc byte[32];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes);
        return Prefix + Convert.ToBase64String(bytes);
    }

    /// <summary>Masks a secret for display: <c>whsec_…</c> plus its last four characters.</summary>
    /// <param name="secret">The secret.</param>
    /// <returns>The masked form.</returns>
    public static string Mask(string? secret) =>
        string.IsNullOrEmpty(secret) ? "" : secret.Length <= 10 ? Prefix + "…" : Prefix + "…" + secret[^4..];

    /// <summary>Returns what is wrong with a user-supplied secret, or <see langword="null"/> when it is usable.</summary>
    /// <param name="secret">The candidate: <c>whsec_</c> + base64 of 24 to 64 bytes.</param>
    /// <returns>The problem, or <see langword="null"/>.</returns>
    public static string? Validate(string? secret)
    {
        if (string.IsNullOrEmpty(secret) || !secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return "A secret must start with 'whsec_' followed by base64 of 24 to 64 random bytes; omit it to have one generated.";
        }

        var key = TryDecode(secret);
        if (key is null)
        {
            return "The part after 'whsec_' is not valid base64.";
        }

        return key.Length is < 24 or > 64 ? $"The secret holds {key.Length} bytes; use 24 to 64 random bytes." : null;
    }

    /// <summary>Decodes the key bytes after the prefix, or null when malformed.</summary>
    internal static byte[]? TryDecode(string secret)
    {
        var body = secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret.AsSpan(Prefix.Length) : secret.AsSpan();
        var buffer = new byte[(body.Length * 3 / 4) + 3];
        return Convert.TryFromBase64Chars(body, buffer, out var written) ? buffer[..written] : null;
    }

    /// <inheritdoc />
    public override string ToString() => $"WebhookSecret {{ Value = {Mask(Value)}, ExpiresAt = {ExpiresAt} }}";
}
