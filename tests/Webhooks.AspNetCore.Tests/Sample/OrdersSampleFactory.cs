using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;

namespace Webhooks.AspNetCore.Tests.Sample;

/// <summary>The Orders sample's own Program, hosted in-process (TestHost) with extra configuration.</summary>
public sealed class OrdersSampleFactory(string environment, IReadOnlyDictionary<string, string?>? settings = null) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        if (settings is not null)
        {
            // UseSetting is visible to code that reads configuration before Build() (the sample's
            // storage switch); ConfigureAppConfiguration is applied only at Build().
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(settings));
        }
    }

    public HttpClient ClientWithKey(string? apiKey)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }
}
