// The interactive dialog (placeholder until the GTK2 dialog lands: uses the last values).
import CGimp

func showDialog(_ settings: Settings, image: gint32) throws -> Settings? {
    settings
}
