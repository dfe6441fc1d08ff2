namespace Webhooks.Abstractions.Subscriptions;

/// <summary>A signing secret and, for a rotated-out one, when it stops signing.</summary>
/// <param name="Value">The secret (<c>whsec_</c> + base64); stores receive it protected.</param>
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

    /// <summary>Decodes the key bytes of a secret (the part after <c>whsec_</c>, or the whole string without it).</summary>
    /// <param name="secret">The secret.</param>
    /// <returns>The key bytes, or <see langword="null"/> when the text is not base64.</returns>
    public static byte[]? TryDecode(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var body = secret.StartsWith(Prefix, StringComparison.Ordinal) ? secret.AsSpan(Prefix.Length) : secret.AsSpan();
        var buffer = new byte[(body.Length * 3 / 4) + 3];
        return Convert.TryFromBase64Chars(body, buffer, out var written) ? buffer[..written] : null;
    }

    /// <inheritdoc />
    public override string ToString() => $"WebhookSecret {{ Value = {Mask(Value)}, ExpiresAt = {ExpiresAt} }}";
}
