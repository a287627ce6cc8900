global using Version = Tusk.Storage.Manifest.Version;
