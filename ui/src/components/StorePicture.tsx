// A store app's picture (icon, screenshot). In a browser it is fetched with
// the session's key header (an <img> sends no header) and shown from a blob.
import { useEffect, useState, type ImgHTMLAttributes } from "react";
import { pictureUrl } from "../api";

type Props = { store: string; app: string; file: string } & Omit<ImgHTMLAttributes<HTMLImageElement>, "src">;

export function StorePicture({ store, app, file, alt, ...rest }: Props) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    let url: string | null = null;
    let gone = false;
    pictureUrl(store, app, file).then(
      (u) => {
        if (gone) {
          if (u.startsWith("blob:")) URL.revokeObjectURL(u);
          return;
        }
        url = u;
        setSrc(u);
      },
      () => setSrc(null),
    );
    return () => {
      gone = true;
      if (url?.startsWith("blob:")) URL.revokeObjectURL(url);
    };
  }, [store, app, file]);
  return src ? <img src={src} alt={alt} {...rest} /> : <span className="icon-blank" aria-hidden="true" />;
}
