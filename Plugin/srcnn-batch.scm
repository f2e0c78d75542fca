; srcnn-batch.scm: batch SRCNN upscaling from the command line, installed into the GIMP profile's scripts/.
;
;   gimp -i -b '(srcnn-batch-upscale "in/*.jpg" "out/" 2.0)' -b '(gimp-quit 0)'
;   gimp -i -b '(srcnn-batch-upscale-with-weights "in/*.png" "out/" 3.0 "/path/model.safetensors")' -b '(gimp-quit 0)'
;
; Every file matching the glob is loaded, upscaled by plug-in-srcnn-upscale (cubic image scale + SRCNN on Y)
; and saved under the same name in the output folder (format from the extension). Flat formats: the visible
; layers are merged first (if several) and the result enhanced; XCF files keep their layers and every pixel
; layer is enhanced (layers = ALL-LAYERS). Indexed images are converted to RGB first. Weights "" = the shipped
; model nearest the scale.

(define (srcnn-batch--basename path)
  (let loop ((parts (strbreakup path "/")))
    (if (null? (cdr parts)) (car parts) (loop (cdr parts)))))

(define (srcnn-batch--folder dir)
  (if (and (> (string-length dir) 0)
           (string=? (substring dir (- (string-length dir) 1) (string-length dir)) "/"))
      dir
      (string-append dir "/")))

(define (srcnn-batch--xcf? path)
  (let ((parts (reverse (strbreakup path "."))))   ; "a.xcf" or "a.xcf.gz" / ".xcf.bz2" / ".xcf.xz"
    (and (> (length parts) 1)
         (or (string-ci=? (car parts) "xcf")
             (and (> (length parts) 2) (string-ci=? (cadr parts) "xcf"))))))

(define (srcnn-batch-upscale-with-weights pattern out-dir scale weights)
  (let ((files (cadr (file-glob pattern 1)))
        (folder (srcnn-batch--folder out-dir)))
    (for-each
      (lambda (filename)
        (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE filename filename)))
               (outname (string-append folder (srcnn-batch--basename filename))))
          (if (= (car (gimp-image-base-type image)) INDEXED) (gimp-image-convert-rgb image))
          (if (srcnn-batch--xcf? filename)
              (plug-in-srcnn-upscale RUN-NONINTERACTIVE image (car (gimp-image-get-active-drawable image))
                                     scale weights 1)
              (let ((layer (if (> (car (gimp-image-get-layers image)) 1)
                               (car (gimp-image-merge-visible-layers image CLIP-TO-IMAGE))
                               (car (gimp-image-get-active-drawable image)))))
                (plug-in-srcnn-upscale RUN-NONINTERACTIVE image layer scale weights 0)))
          (gimp-file-save RUN-NONINTERACTIVE image (car (gimp-image-get-active-drawable image)) outname outname)
          (gimp-image-delete image)
          (gimp-message (string-append "srcnn-batch-upscale: " filename " -> " outname))))
      files)
    (length files)))

(define (srcnn-batch-upscale pattern out-dir scale)
  (srcnn-batch-upscale-with-weights pattern out-dir scale ""))
