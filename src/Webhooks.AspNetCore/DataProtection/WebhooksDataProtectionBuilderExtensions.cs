using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Webhooks.AspNetCore.DataProtection;
using Webhooks.Core.DependencyInjection;
using Webhooks.Core.Security;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Protects stored webhook secrets with ASP.NET Core Data Protection.</summary>
public static class WebhooksDataProtectionBuilderExtensions
{
    /// <summary>
    /// Makes <see cref="IWebhookSecretProtector"/> use ASP.NET Core Data Protection (purpose
    /// <c>Webhooks.Core.Secrets.v1</c>), so a store that persists subscriptions writes signing
    /// secrets and auth values encrypted. Adds Data Protection if the app has not; configure its key
    /// ring as usual (<c>services.AddDataProtection().PersistKeysToFileSystem(...)
    /// .SetApplicationName(...)</c>): every instance must share it, and keys must outlive the
    /// subscriptions they protect. Replaces any protector registered before; safe to call several times.
    /// </summary>
    /// <param name="builder">The webhooks builder from <c>AddWebhooks()</c>.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder ProtectSecretsWithDataProtection(this IWebhooksBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddDataProtection();

        // Replace, not TryAdd: AddWebhooks() already registered the pass-through protector, and calling this method says which one is wanted.
        builder.Services.Replace(ServiceDescriptor.Singleton<IWebhookSecretProtector>(
            sp => new DataProtectionWebhookSecretProtector(sp.GetRequiredService<IDataProtectionProvider>())));
        return builder;
    }
}
