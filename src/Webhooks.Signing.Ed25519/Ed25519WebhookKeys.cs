using Webhooks.Abstractions.Subscriptions;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Webhooks.Core.Subscriptions;
using Rfc8032 = Org.BouncyCastle.Math.EC.Rfc8032.Ed25519;

namespace Webhooks.Signing.Ed25519;

/// <summary>An ed25519 key pair in Standard Webhooks form.</summary>
/// <param name="SecretKey"><c>whsk_</c> + base64 of the 64-byte seed‖public key: keep it on the sending side only.</param>
/// <param name="PublicKey"><c>whpk_</c> + base64 of the 32-byte public key: give it to receivers.</param>
public sealed record Ed25519WebhookKeyPair(string SecretKey, string PublicKey)
{
    /// <summary>Describes the pair with the secret key masked.</summary>
    /// <returns>A log-safe description.</returns>
    public override string ToString() => $"Ed25519WebhookKeyPair {{ SecretKey = {Ed25519WebhookKeys.SecretKeyPrefix}…, PublicKey = {PublicKey} }}";
}

/// <summary>
/// Standard Webhooks asymmetric keys: secret keys <c>whsk_…</c>, public keys <c>whpk_…</c>. A
/// subscription keeps its usual <c>whsec_</c> secret; its ed25519 key pair is derived from it
/// (HKDF-SHA256), so rotation, grace periods and protection at rest work unchanged, and the public
/// key can be recomputed whenever it must be shown.
/// </summary>
public static class Ed25519WebhookKeys
{
    /// <summary>The prefix of secret (signing) keys.</summary>
    public const string SecretKeyPrefix = "whsk_";

    /// <summary>The prefix of public (verifying) keys.</summary>
    public const string PublicKeyPrefix = "whpk_";

    private const int SeedBytes = 32;
    private const int PublicBytes = 32;
    private static readonly byte[] DerivationInfo = Encoding.ASCII.GetBytes("Webhooks.Signing.Ed25519/v1a-seed/1");
    private static readonly ConcurrentDictionary<string, byte[]> DerivedCache = new(StringComparer.Ordinal);

    /// <summary>Creates a new random key pair (CSPRNG).</summary>
    /// <returns>The pair; the secret key is <c>whsk_</c> + base64 of seed‖public key (64 bytes).</returns>
    public static Ed25519WebhookKeyPair Generate()
    {
        Span<byte> key = stackalloc byte[SeedBytes + PublicBytes];
        RandomNumberGenerator.Fill(key[..SeedBytes]);
        Rfc8032.GeneratePublicKey(key[..SeedBytes], key[SeedBytes..]);
        var pair = new Ed25519WebhookKeyPair(SecretKeyPrefix + Convert.ToBase64String(key), PublicKeyPrefix + Convert.ToBase64String(key[SeedBytes..]));
        CryptographicOperations.ZeroMemory(key);
        return pair;
    }

    /// <summary>The public key that verifies signatures made with <paramref name="key"/>.</summary>
    /// <param name="key">A secret key (<c>whsk_…</c>) or a subscription secret (<c>whsec_…</c>, whose key pair is derived).</param>
    /// <returns>The <c>whpk_…</c> public key.</returns>
    /// <exception cref="ArgumentException">The key is in neither form.</exception>
    public static string GetPublicKey(string key)
    {
        Span<byte> pub = stackalloc byte[PublicBytes];
        Rfc8032.GeneratePublicKey(GetSeed(key), pub);
        return PublicKeyPrefix + Convert.ToBase64String(pub);
    }

    /// <summary>The <c>whsk_</c> secret key derived from a subscription's <c>whsec_</c> secret (for exporting the key pair).</summary>
    /// <param name="secret">The subscription secret.</param>
    /// <returns>The <c>whsk_</c> key (seed‖public key).</returns>
    /// <exception cref="ArgumentException">The secret is not <c>whsec_</c> + base64.</exception>
    public static string DeriveSecretKey(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (!secret.StartsWith(WebhookSecret.Prefix, StringComparison.Ordinal))
        {
            throw new ArgumentException("Give a subscription secret (whsec_…).", nameof(secret));
        }

        Span<byte> key = stackalloc byte[SeedBytes + PublicBytes];
        GetSeed(secret).CopyTo(key);
        Rfc8032.GeneratePublicKey(key[..SeedBytes], key[SeedBytes..]);
        return SecretKeyPrefix + Convert.ToBase64String(key);
    }

    /// <summary>The 32-byte seed of a <c>whsk_</c> key, or the one derived from a <c>whsec_</c> secret.</summary>
    internal static byte[] GetSeed(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.StartsWith(SecretKeyPrefix, StringComparison.Ordinal))
        {
            var bytes = Decode(key.AsSpan(SecretKeyPrefix.Length));
            if (bytes is not { Length: SeedBytes or SeedBytes + PublicBytes })
            {
                throw new ArgumentException("A whsk_ key is base64 of a 32-byte seed or of the 64-byte seed‖public key.", nameof(key));
            }

            var seed = bytes[..SeedBytes];
            if (bytes.Length == SeedBytes + PublicBytes)
            {
                Span<byte> pub = stackalloc byte[PublicBytes];
                Rfc8032.GeneratePublicKey(seed, pub);
                if (!CryptographicOperations.FixedTimeEquals(pub, bytes.AsSpan(SeedBytes)))
                {
                    throw new ArgumentException("The whsk_ key's public half does not belong to its seed; the key is corrupt.", nameof(key));
                }
            }

            return seed;
        }

        if (key.StartsWith(WebhookSecret.Prefix, StringComparison.Ordinal))
        {
            if (DerivedCache.TryGetValue(key, out var cached))
            {
                return cached;
            }

            var material = Decode(key.AsSpan(WebhookSecret.Prefix.Length)) is { Length: >= 16 } m ? m
                : throw new ArgumentException("A whsec_ secret is base64 of at least 16 bytes.", nameof(key));
            var derived = HKDF.DeriveKey(HashAlgorithmName.SHA256, material, SeedBytes, salt: [], info: DerivationInfo);
            CryptographicOperations.ZeroMemory(material);
            if (DerivedCache.Count > 10_000)
            {
                DerivedCache.Clear();
            }

            DerivedCache[key] = derived;
            return derived;
        }

        throw new ArgumentException("An ed25519 signing key is 'whsk_' + base64, or a subscription secret 'whsec_' + base64.", nameof(key));
    }

    /// <summary>The 32-byte public key of a <c>whpk_</c> key.</summary>
    internal static byte[] ParsePublicKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.StartsWith(PublicKeyPrefix, StringComparison.Ordinal) && Decode(key.AsSpan(PublicKeyPrefix.Length)) is { Length: PublicBytes } bytes
            ? bytes
            : throw new ArgumentException("A public key is 'whpk_' + base64 of 32 bytes.", nameof(key));
    }

    private static byte[]? Decode(ReadOnlySpan<char> base64)
    {
        var buffer = new byte[(base64.Length * 3 / 4) + 3];
        return Convert.TryFromBase64Chars(base64, buffer, out var written) ? buffer[..written] : null;
    }
}
